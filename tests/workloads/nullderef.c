/*
 * nullderef.c - reads through a NULL pointer: the process must die of SIGSEGV
 * (exit status 139 from tess run) and its node must carry on
 * (tests/integration/t-run-bad.sh). Prints one line first, so the test can
 * see that it ran up to the fault.
 */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;

	printf("about to read address 0\n");
	fflush(stdout);
	return *p;
}
