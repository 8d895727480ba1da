// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The options every table verb shares, as in findmnt and lsfd: -o,
 * --list-columns, -J, -r, -n, -b, --check; and turning -o into columns.
 */
#include <errno.h>
#include <stdio.h>

#include "residue.h"

bool table_cli_option(TableCli *t, int c, const char *arg)
{
	switch (c) {
	case 'o':
		t->output = arg;
		return true;
	case 'L':
		t->list = true;
		return true;
	case 'J':
		t->json = true;
		return true;
	case 'r':
		t->to.raw = true;
		return true;
	case 'n':
		t->to.noheadings = true;
		return true;
	case 'b':
		t->to.bytes = true;
		return true;
	case 'C':
		t->check = true;
		return true;
	}
	return false;
}

int table_cli_columns(TableCli *t, const ColumnSet *set)
{
	if (t->list) {
		columns_list_in(set, stdout, t->to.raw);
		return 0;
	}
	if (!t->output) {
		columns_default_in(set, t->to.cols, ARRAY_SIZE(t->to.cols), &t->to.n_cols);
		return 1;
	}
	int r = columns_parse_in(set, t->output, t->to.cols, ARRAY_SIZE(t->to.cols), &t->to.n_cols);
	if (r < 0) {
		fprintf(stderr, "residue: %s in '%s' (see --list-columns)\n",
			r == -E2BIG ? "too many columns" : "unknown column", t->output);
		return -EXIT_ERROR;
	}
	return 1;
}
