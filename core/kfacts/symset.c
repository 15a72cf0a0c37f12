/* SPDX-License-Identifier: GPL-2.0-only */
/* The containers behind the symbol lists: interned strings, a (name, module) hash set and
 * an ordered list. kallsyms has hundreds of thousands of lines, so names are copied once
 * into large chunks rather than allocated one by one. */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)

struct kstrings_chunk {
	struct kstrings_chunk *next;
	size_t used, size;
	char data[];
};

static const char *kstrings_store(struct kstrings *strings, const char *s)
{
	size_t len = strlen(s), size;
	struct kstrings_chunk *chunk = strings->chunks;
	char *copy;

	if (!chunk || chunk->size - chunk->used < len + 1) {
		size = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
		chunk = malloc(sizeof(*chunk) + size);
		if (!chunk)
			return NULL;
		chunk->next = strings->chunks;
		chunk->used = 0;
		chunk->size = size;
		strings->chunks = chunk;
	}
	copy = chunk->data + chunk->used;
	memcpy(copy, s, len + 1);
	chunk->used += len + 1;
	return copy;
}

static uint64_t sym_hash(const char *name, const char *module)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	/* A separator byte no name contains, so ("ab", NULL) and ("a", "b") differ. */
	h = (h ^ 0xffu) * 1099511628211ULL;
	for (; module && *module; module++)
		h = (h ^ (unsigned char)*module) * 1099511628211ULL;
	return h;
}

static bool same_module(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The slot holding (name, module), or the empty one where it would go. */
static size_t ksymset_slot(const struct ksymset *set, const char *name, const char *module,
			   uint64_t hash)
{
	size_t mask = set->capacity - 1, i = (size_t)hash & mask;

	while (set->slots[i].name &&
	       (set->hashes[i] != hash || strcmp(set->slots[i].name, name) ||
		!same_module(set->slots[i].module, module)))
		i = (i + 1) & mask;
	return i;
}

static const struct ksym *ksymset_find_hashed(const struct ksymset *set, const char *name,
					      const char *module, uint64_t hash)
{
	size_t i;

	if (!set->capacity)
		return NULL;
	i = ksymset_slot(set, name, module, hash);
	return set->slots[i].name ? &set->slots[i] : NULL;
}

const struct ksym *ksymset_find(const struct ksymset *set, const char *name,
				const char *module)
{
	return ksymset_find_hashed(set, name, module, sym_hash(name, module));
}

static int ksymset_grow(struct ksymset *set)
{
	size_t capacity = set->capacity ? set->capacity * 2 : 1024, mask = capacity - 1, i, j;
	struct ksymset bigger = { .capacity = capacity, .count = set->count };

	if (capacity > SIZE_MAX / 2 / sizeof(struct ksym))
		return -ENOMEM;
	bigger.slots = calloc(capacity, sizeof(struct ksym));
	bigger.hashes = calloc(capacity, sizeof(uint64_t));
	if (!bigger.slots || !bigger.hashes) {
		ksymset_free(&bigger);
		return -ENOMEM;
	}
	/* every name in the set is distinct: a free slot is all a move needs */
	for (i = 0; i < set->capacity; i++) {
		if (!set->slots[i].name)
			continue;
		for (j = (size_t)set->hashes[i] & mask; bigger.slots[j].name; j = (j + 1) & mask)
			;
		bigger.slots[j] = set->slots[i];
		bigger.hashes[j] = set->hashes[i];
	}
	ksymset_free(set);
	*set = bigger;
	return 0;
}

/* module: interned already; hash: sym_hash of name and module */
static int ksymset_add_hashed(struct ksymset *set, struct kstrings *strings, const char *name,
			      const char *module, uint64_t hash)
{
	size_t i;
	int err;

	if ((set->count + 1) * 2 > set->capacity) {
		err = ksymset_grow(set);
		if (err)
			return err;
	}
	i = ksymset_slot(set, name, module, hash);
	if (set->slots[i].name)
		return 0;
	set->slots[i].name = kstrings_store(strings, name);
	if (!set->slots[i].name)
		return -ENOMEM;
	set->slots[i].module = module;
	set->hashes[i] = hash;
	set->count++;
	return 0;
}

int ksymset_add(struct ksymset *set, struct kstrings *strings, const char *name,
		const char *module)
{
	return ksymset_add_hashed(set, strings, name, module, sym_hash(name, module));
}

int ksymset_add_interning(struct ksymset *set, struct kstrings *strings, const char *name,
			  const char *module)
{
	uint64_t hash = sym_hash(name, module);
	int err;

	if (ksymset_find_hashed(set, name, module, hash))
		return 0;
	err = kstrings_module(strings, module, &module);
	return err ? err : ksymset_add_hashed(set, strings, name, module, hash);
}

void ksymset_free(struct ksymset *set)
{
	free(set->slots);
	free(set->hashes);
	*set = (struct ksymset){ 0 };
}

int kstrings_module(struct kstrings *strings, const char *module, const char **interned)
{
	const struct ksym *known;
	int err;

	*interned = NULL;
	if (!module)
		return 0;
	known = ksymset_find(&strings->modules, module, NULL);
	if (!known) {
		err = ksymset_add(&strings->modules, strings, module, NULL);
		if (err)
			return err;
		known = ksymset_find(&strings->modules, module, NULL);
	}
	*interned = known->name;
	return 0;
}

void kstrings_free(struct kstrings *strings)
{
	struct kstrings_chunk *chunk, *next;

	ksymset_free(&strings->modules);
	for (chunk = strings->chunks; chunk; chunk = next) {
		next = chunk->next;
		free(chunk);
	}
	strings->chunks = NULL;
}

int ksymlist_append(struct ksymlist *list, struct kstrings *strings, const char *name,
		    const char *module)
{
	struct ksym *grown;
	size_t capacity;

	if (list->count == list->capacity) {
		capacity = list->capacity ? list->capacity * 2 : 4096;
		if (capacity > SIZE_MAX / sizeof(*grown))
			return -ENOMEM;
		grown = realloc(list->syms, capacity * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		list->syms = grown;
		list->capacity = capacity;
	}
	grown = &list->syms[list->count];
	grown->module = module;
	grown->name = kstrings_store(strings, name);
	if (!grown->name)
		return -ENOMEM;
	list->count++;
	return 0;
}

void ksymlist_free(struct ksymlist *list)
{
	free(list->syms);
	*list = (struct ksymlist){ 0 };
}
