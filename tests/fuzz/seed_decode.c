/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seed_decode.c — writes the fuzz_decode seed corpus: every frame of
 * pktcraft's sample catalogue (pc_sample), whole and cut by a snaplen,
 * in fuzz_decode's input format (link-type byte, then the frame).
 * Usage: seed_decode OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "pktcraft.h"

/* Index of @lt in fuzz_decode.c's link-type table. */
static int
lt_index(uint32_t lt)
{
	static const uint32_t table[] = { 1, 0, 101, 108, 113, 228, 229, 276, 12 };

	for (int i = 0; i < (int)(sizeof(table) / sizeof(table[0])); i++)
		if (table[i] == lt)
			return i;
	return -1;
}

static int
write_seed(const char *dir, int n, uint8_t first, const uint8_t *frame, uint32_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/sample-%03d", dir, n);
	fp = fopen(path, "wb");
	if (!fp || fputc(first, fp) == EOF || (len && fwrite(frame, len, 1, fp) != 1)) {
		perror(path);
		if (fp)
			fclose(fp);
		return -1;
	}
	return fclose(fp) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static struct pc_frame f;
	uint32_t lt;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	for (int i = 0; pc_sample(i, &f, &lt); i++) {
		int idx = lt_index(lt);

		if (idx < 0 || f.len > 4096)   /* keep seeds small */
			continue;
		if (write_seed(argv[1], n++, (uint8_t)idx, f.buf, f.len) != 0)
			return 1;
		/* The same frame cut in the middle of its payload. */
		if (write_seed(argv[1], n++, (uint8_t)(idx | 0x80), f.buf, f.len - f.len / 4) != 0)
			return 1;
	}
	printf("wrote %d seeds to %s\n", n, argv[1]);
	return n > 0 ? 0 : 1;
}
