// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>

#include "residue.h"

int zombies_watch(const TableCli *t, const struct ZombieOptions *zo, double duration)
{
	(void)t;
	(void)zo;
	(void)duration;
	fputs("residue: --watch: not built\n", stderr);
	return EXIT_ERROR;
}
