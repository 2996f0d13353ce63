"""The results store: what each run measured, kept in the repository's own forge (docs/store.md).

`model` is the JSON documents (untrusted on read), `layout` where they live on the store branch, `branch` the one
operation a forge provides (a compare-and-swap update of files on a branch), `records` the store built on it.
"""
