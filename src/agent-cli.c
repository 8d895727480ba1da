// SPDX-License-Identifier: LGPL-2.1-or-later
/* The options of the agent's loop that residue serve and residue watch both take. */
#include <errno.h>
#include <getopt.h>

#include "agent/agent.h"
#include "residue.h"

int agent_cli_option(AgentOptions *ao, int c, const char *arg)
{
	switch (c) {
	case AGENT_OPT_INTERVAL:
		return cli_seconds("--interval", arg, 0.01, &ao->interval_s) < 0 ? -EINVAL : 1;
	case AGENT_OPT_DEBOUNCE:
		return cli_seconds("--debounce", arg, 0, &ao->debounce_s) < 0 ? -EINVAL : 1;
	case AGENT_OPT_DURATION:
		return cli_seconds("--duration", arg, 0.01, &ao->duration_s) < 0 ? -EINVAL : 1;
	case AGENT_OPT_ZOMBIE_THRESHOLD:
		return cli_count("--zombie-threshold", arg, 1, &ao->scan.zombie_threshold) < 0 ?
			       -EINVAL :
			       1;
	case AGENT_OPT_INODES_INTERVAL:
		return cli_seconds("--inodes-interval", arg, 0, &ao->scan.inodes_interval_s) < 0 ?
			       -EINVAL :
			       1;
	case AGENT_OPT_NO_BPF:
		ao->scan.no_bpf = true;
		return 1;
	}
	return 0;
}
