/* pci.h - PCI configuration space and device enumeration. */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H
#include <stdint.h>

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass, prog_if;
	uint64_t bar[6];        /* physical base (memory BARs), 0 if none */
	uint64_t bar_size[6];
	uint8_t bar_io[6];
};

#define PCI_MAX_DEVS 32

int pci_scan(void);
unsigned pci_count(void);
struct pci_dev *pci_get(unsigned i);
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned nth);
uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);
/* Offset of capability id cap (starting after offset start, 0 = from the head), or 0. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t cap, uint8_t start);
void pci_enable(const struct pci_dev *d);   /* memory space + bus master */
/* Route MSI-X table entry `entry` to vector on this CPU, unmasked; enable MSI-X. */
int pci_msix_route(const struct pci_dev *d, unsigned entry, int vector);
#endif
