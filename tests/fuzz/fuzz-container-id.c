// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for container_id_parse() and container_id_short(): the
 * input is one cgroup path.  Besides memory safety it checks the contract
 * of container-id.h: @ret untouched on error; on success every string
 * NUL-terminated in its array, a hex id exactly 64 lowercase hex digits and
 * present in the input, a pod UID in one of its three spellings, a unit a
 * valid unit name, fields consistent with the runtime, the same answer
 * twice, and the short form terminated at every buffer size.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>

#include "base/container-id.h"

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

static bool is_pod(const char *p)
{
	size_t n = strlen(p);

	if (n == 32 || n == 64)
		return is_lower_hex(p, n);
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? p[i] != '-' :
								!is_lower_hex(p + i, 1))
			return false;
	return true;
}

static bool is_unit(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > CONTAINER_UNIT_MAX || !strchr(u, '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.\\-@",
			    u[i]))
			return false;
	return true;
}

static bool same(const ContainerId *a, const ContainerId *b)
{
	return a->runtime == b->runtime && a->qos == b->qos && a->is_monitor == b->is_monitor &&
	       a->is_nested == b->is_nested && a->is_deleted == b->is_deleted &&
	       strcmp(a->id, b->id) == 0 && strcmp(a->pod, b->pod) == 0 &&
	       strcmp(a->unit, b->unit) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size, 0);
	ContainerId c, again, before;
	char shown[CONTAINER_ID_SHORT_MAX];
	int r;

	memset(&c, 0xa5, sizeof(c));
	before = c;
	r = container_id_parse(buf, size, &c);
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	if (r < 0) {
		FUZZ_ASSERT(memcmp(&c, &before, sizeof(c)) == 0);
		free(buf);
		return 0;
	}
	FUZZ_ASSERT(size > 0 && buf[0] == '/');

	FUZZ_ASSERT((unsigned)c.runtime < _CONTAINER_RUNTIME_MAX);
	FUZZ_ASSERT((unsigned)c.qos < _KUBE_QOS_MAX);
	FUZZ_ASSERT(terminated(c.id, sizeof(c.id)));
	FUZZ_ASSERT(terminated(c.pod, sizeof(c.pod)));
	FUZZ_ASSERT(terminated(c.unit, sizeof(c.unit)));

	/* Ids: 64 lowercase hex, copied from the input; LXC names: one path component. */
	size_t idlen = strlen(c.id);
	if (c.runtime == CONTAINER_RUNTIME_LXC) {
		FUZZ_ASSERT(idlen > 0 && !strchr(c.id, '/'));
	} else if (idlen) {
		FUZZ_ASSERT(idlen == 64 && is_lower_hex(c.id, idlen));
	}
	if (idlen)
		FUZZ_ASSERT(memmem(buf, size, c.id, idlen));
	FUZZ_ASSERT(!c.pod[0] || is_pod(c.pod));
	FUZZ_ASSERT(!c.unit[0] || is_unit(c.unit));
	if (c.unit[0])
		FUZZ_ASSERT(memmem(buf, size, c.unit, strlen(c.unit)));

	switch (c.runtime) {
	case CONTAINER_RUNTIME_NONE:
		FUZZ_ASSERT(!c.unit[0]);
		__attribute__((fallthrough));
	case CONTAINER_RUNTIME_SYSTEMD:
		FUZZ_ASSERT(!c.id[0] && !c.pod[0] && c.qos == KUBE_QOS_NONE);
		FUZZ_ASSERT(!c.is_monitor && !c.is_nested);
		FUZZ_ASSERT(c.runtime == CONTAINER_RUNTIME_NONE || c.unit[0]);
		break;
	case CONTAINER_RUNTIME_DOCKER:
	case CONTAINER_RUNTIME_CONTAINERD:
	case CONTAINER_RUNTIME_CRIO:
	case CONTAINER_RUNTIME_UNKNOWN:
		FUZZ_ASSERT(idlen == 64);
		break;
	case CONTAINER_RUNTIME_KUBEPODS:
		FUZZ_ASSERT(!c.is_monitor);
		FUZZ_ASSERT(!c.pod[0] || strlen(c.pod) != 64);
		FUZZ_ASSERT(!c.pod[0] || c.qos != KUBE_QOS_NONE);
		break;
	default:
		break;
	}

	/* The same bytes, the same answer. */
	FUZZ_ASSERT(container_id_parse(buf, size, &again) == 0 && same(&c, &again));

	/* The short form: terminated and a prefix of the full one at every size. */
	container_id_short(&c, shown, sizeof(shown));
	size_t n = strlen(shown);
	FUZZ_ASSERT(n < sizeof(shown) - 1);
	FUZZ_ASSERT((n == 0) == (c.runtime == CONTAINER_RUNTIME_NONE));
	for (size_t s = 1; s <= n + 1; s += 1 + s / 4) {
		char small[CONTAINER_ID_SHORT_MAX];
		container_id_short(&c, small, s);
		FUZZ_ASSERT(strlen(small) == (s - 1 < n ? s - 1 : n));
		FUZZ_ASSERT(strncmp(small, shown, strlen(small)) == 0);
	}
	free(buf);
	return 0;
}
