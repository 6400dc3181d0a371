/*
 * main.c - kmain: from the PVH hand-off to a node on the fabric.
 * Order: console, descriptor tables, memory, clock, command line, PCI,
 * NIC, then the node agent of this image's monitor.
 */
#include <string.h>
#include <tessera/wire.h>
#include <arch/cpu.h>
#include <arch/layout.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/monitor.h>
#include <kernel/netdev.h>
#include <kernel/pci.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <kernel/trap.h>
#include <net/wire.h>

#define PVH_MAGIC     0x336ec578u
#define MAX_MAP       64
#define CMDLINE_MAX   1024

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
} __attribute__((packed));

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
} __attribute__((packed));

static char cmdline[CMDLINE_MAX];
static struct mem_region memmap[MAX_MAP];
static unsigned nmap;
static struct node_config config;

static void __attribute__((noreturn)) refuse(void)
{
	pr_err("node: configuration rejected; this node will not join the cluster");
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void read_boot_info(uint32_t start_info_pa)
{
	const struct hvm_start_info *si = phys_to_virt(start_info_pa);

	if (si->magic != PVH_MAGIC)
		panic("boot: no PVH start info (magic %x); boot with qemu -kernel", si->magic);
	if (si->cmdline_paddr) {
		const char *c = phys_to_virt(si->cmdline_paddr);
		strlcpy(cmdline, c, sizeof(cmdline));
	}
	if (si->version < 1 || !si->memmap_paddr)
		panic("boot: PVH start info v%u has no memory map", si->version);
	const struct hvm_memmap_entry *e = phys_to_virt(si->memmap_paddr);
	for (unsigned i = 0; i < si->memmap_entries && nmap < MAX_MAP; i++) {
		memmap[nmap].base = e[i].addr;
		memmap[nmap].size = e[i].size;
		memmap[nmap].type = e[i].type;
		nmap++;
	}
}

void kmain(uint32_t start_info_pa);
void kmain(uint32_t start_info_pa)
{
	char err[128];

	console_init();
	read_boot_info(start_info_pa);
	kprintf("\nTessera %s monitor kernel\n", this_monitor.name);
	kprintf("cmdline: %s\n", cmdline);
	for (unsigned i = 0; i < nmap; i++)
		kprintf("  mem %016lx-%016lx type %u\n", memmap[i].base,
			memmap[i].base + memmap[i].size - 1, memmap[i].type);

	gdt_init();
	idt_init();
	sched_init();
	mm_init(memmap, nmap);
	heap_init();
	vm_drop_identity();
	lapic_init();
	if (time_init())
		panic("boot: no clock");
	rtc_init();
	irq_enable();

	if (cmdline_parse(cmdline, &config, err, sizeof(err))) {
		pr_err("cmdline: %s", err);
		refuse();
	}
	if (config.role != this_monitor.role) {
		pr_err("cmdline: role=%s but this is the %s monitor image", fab_role_name(config.role),
		       this_monitor.name);
		refuse();
	}
	console_set_level((enum log_level)config.log_level);
	pr_info("node: id %s%u, name '%s', fabric %s", config.node_id == FAB_NODE_NONE ? "auto/" : "",
		config.node_id == FAB_NODE_NONE ? 0 : config.node_id, config.name,
		config.transport == FAB_TRANSPORT_NET ? "net" : "cxl");

	pci_scan();
	if (netdev_init()) {
		pr_err("node: no fabric NIC");
		refuse();
	}
	node_run(&config);
}
