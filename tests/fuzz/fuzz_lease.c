/*
 * fuzz_lease.c: Scan pages of the coordination table (lease_parse_page).
 * On success every lease has its pair, unit and a known kind, and a
 * sorted set finds each of them; on failure err says why and nothing
 * is left half-added to the set.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "lease.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lease_set set = { 0 };
	struct jspan lek;
	char err[256];
	size_t i;

	err[0] = '\0';
	if (lease_parse_page(&set, (const char *)data, size, &lek, err,
		sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		lease_set_clear(&set);
		return 0;
	}
	FUZZ_CHECK(lek.len == 0 ||
	    (lek.p >= (const char *)data &&
		lek.p + lek.len <= (const char *)data + size &&
		lek.p[0] == '{'));
	lease_set_sort(&set);
	for (i = 0; i < set.n; i++) {
		const struct lease *l = &set.v[i];

		FUZZ_CHECK(l->pair != NULL && l->unit != NULL);
		FUZZ_CHECK(l->pair[0] != '\0' && l->unit[0] != '\0');
		FUZZ_CHECK(l->kind <= LEASE_HOST);
		FUZZ_CHECK(l->counter <= INT64_MAX);
		/* Duplicate keys are possible in garbage: find one of them. */
		FUZZ_CHECK(lease_set_find(&set, l->pair, l->unit) != NULL);
	}
	lease_set_clear(&set);
	return 0;
}
