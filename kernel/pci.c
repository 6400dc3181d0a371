/*
 * pci.c - PCI enumeration over configuration mechanism #1 (ports 0xcf8/0xcfc),
 * BAR sizing, capability lists and MSI-X routing.
 */
#include <string.h>
#include <arch/cpu.h>
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/pci.h>
#include <kernel/trap.h>

static struct pci_dev devs[PCI_MAX_DEVS];
static unsigned ndevs;

static uint32_t cfg_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)dev << 11) | ((uint32_t)fn << 8) | (off & 0xfc);
}

static uint32_t raw_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	outl(0xcf8, cfg_addr(bus, dev, fn, off));
	return inl(0xcfc);
}

static void raw_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off, uint32_t v)
{
	outl(0xcf8, cfg_addr(bus, dev, fn, off));
	outl(0xcfc, v);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	return raw_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
	return (uint16_t)(pci_read32(d, off & ~3) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
	return (uint8_t)(pci_read32(d, off & ~3) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	raw_write32(d->bus, d->dev, d->fn, off, v);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	uint32_t old = pci_read32(d, off & ~3);
	unsigned sh = (off & 2) * 8;

	pci_write32(d, off & ~3, (old & ~(0xffffu << sh)) | ((uint32_t)v << sh));
}

static void size_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, 0x04);

	/* Decoding off while we probe sizes. */
	pci_write16(d, 0x04, cmd & ~0x3);
	for (int i = 0; i < 6; i++) {
		uint8_t off = (uint8_t)(0x10 + i * 4);
		uint32_t lo = pci_read32(d, off), szlo;
		uint64_t base, size;

		if (lo & 1) {
			d->bar_io[i] = 1;
			d->bar[i] = lo & ~3u;
			continue;
		}
		pci_write32(d, off, 0xffffffffu);
		szlo = pci_read32(d, off);
		pci_write32(d, off, lo);
		base = lo & ~0xfull;
		size = szlo & ~0xfull;
		if (((lo >> 1) & 3) == 2 && i < 5) {      /* 64-bit BAR */
			uint32_t hi = pci_read32(d, off + 4), szhi;

			pci_write32(d, off + 4, 0xffffffffu);
			szhi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, hi);
			base |= (uint64_t)hi << 32;
			size |= (uint64_t)szhi << 32;
			size = ~size + 1;
			d->bar[i] = base;
			d->bar_size[i] = size;
			i++;
			continue;
		}
		if (size) {
			size = (~size + 1) & 0xffffffffull;
			d->bar[i] = base;
			d->bar_size[i] = size;
		}
	}
	pci_write16(d, 0x04, cmd);
}

static void probe(uint8_t bus, uint8_t dev, uint8_t fn)
{
	uint32_t id = raw_read32(bus, dev, fn, 0);
	struct pci_dev *d;
	uint32_t cls;

	if ((id & 0xffff) == 0xffff)
		return;
	if (ndevs >= PCI_MAX_DEVS) {
		pr_warn("pci: more than %d functions, ignoring %02x:%02x.%x", PCI_MAX_DEVS, bus, dev, fn);
		return;
	}
	d = &devs[ndevs++];
	memset(d, 0, sizeof(*d));
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	cls = raw_read32(bus, dev, fn, 0x08);
	d->class_code = cls >> 24;
	d->subclass = (cls >> 16) & 0xff;
	d->prog_if = (cls >> 8) & 0xff;
	if ((raw_read32(bus, dev, fn, 0x0c) >> 16 & 0x7f) == 0)
		size_bars(d);
	pr_debug("pci: %02x:%02x.%x %04x:%04x class %02x%02x", bus, dev, fn,
		 d->vendor, d->device, d->class_code, d->subclass);
}

int pci_scan(void)
{
	ndevs = 0;
	for (unsigned bus = 0; bus < 4; bus++) {
		for (uint8_t dev = 0; dev < 32; dev++) {
			uint32_t hdr = raw_read32((uint8_t)bus, dev, 0, 0x0c);

			if ((raw_read32((uint8_t)bus, dev, 0, 0) & 0xffff) == 0xffff)
				continue;
			probe((uint8_t)bus, dev, 0);
			if (hdr & 0x00800000u)
				for (uint8_t fn = 1; fn < 8; fn++)
					probe((uint8_t)bus, dev, fn);
		}
	}
	pr_info("pci: %u functions", ndevs);
	return (int)ndevs;
}

unsigned pci_count(void)
{
	return ndevs;
}

struct pci_dev *pci_get(unsigned i)
{
	return i < ndevs ? &devs[i] : NULL;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned nth)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (devs[i].vendor == vendor && devs[i].device == device && nth-- == 0)
			return &devs[i];
	return NULL;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t cap, uint8_t start)
{
	uint8_t off;
	int guard = 48;

	if (!(pci_read16(d, 0x06) & 0x10))
		return 0;
	off = start ? pci_read8(d, start + 1) : pci_read8(d, 0x34);
	while (off >= 0x40 && guard--) {
		off &= ~3;
		if (pci_read8(d, off) == cap)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

void pci_enable(const struct pci_dev *d)
{
	pci_write16(d, 0x04, pci_read16(d, 0x04) | 0x6);    /* memory space, bus master */
}

int pci_msix_route(const struct pci_dev *d, unsigned entry, int vector)
{
	uint8_t cap = pci_find_cap(d, 0x11, 0);
	uint16_t ctrl;
	uint32_t tbl;
	volatile uint8_t *table;
	unsigned bir;

	if (!cap)
		return -1;
	ctrl = pci_read16(d, cap + 2);
	if (entry > (ctrl & 0x7ffu))
		return -1;
	tbl = pci_read32(d, cap + 4);
	bir = tbl & 7;
	if (bir > 5 || !d->bar[bir])
		return -1;
	table = vm_map_mmio(d->bar[bir] + (tbl & ~7u), ((ctrl & 0x7ffu) + 1) * 16);
	if (!table)
		return -1;
	table += entry * 16;
	mmio_write32(table + 0, 0xfee00000u | (lapic_id() << 12));
	mmio_write32(table + 4, 0);
	mmio_write32(table + 8, (uint32_t)vector);
	mmio_write32(table + 12, 0);                           /* unmasked */
	pci_write16(d, cap + 2, (ctrl | 0x8000u) & ~0x4000u); /* enable, no function mask */
	return 0;
}
