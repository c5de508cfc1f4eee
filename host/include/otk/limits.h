/*
 * The size limits of the host tools, in one place for the code that reads
 * and the code that writes: otakit never writes a module, bundle or image
 * that it would then refuse to read.  Each limit protects a reader from
 * hostile or mistaken input (a disk image given as a module, a zip bomb);
 * each writer checks the same number before it writes.
 */
#ifndef OTK_LIMITS_H
#define OTK_LIMITS_H

/* Whole files read into memory: modules, and bundles from pipes. */
#define OTK_LIMIT_FILE (256u * 1024u * 1024u)

/*
 * Original size a compressed module may declare: decompress and inspect
 * inflate no more, so compress refuses a larger module.
 */
#define OTK_LIMIT_MODULE_INFLATED (64u * 1024u * 1024u)

/* One bundle entry inflated, and all of them together (read and write). */
#define OTK_LIMIT_BUNDLE_ENTRY (64u * 1024u * 1024u)
#define OTK_LIMIT_BUNDLE_TOTAL (256u * 1024u * 1024u)

/*
 * A bundle's .zip as read from a pipe (it is held in memory): the entries
 * plus room for deflate's worst case and the zip headers.
 */
#define OTK_LIMIT_BUNDLE_ZIP (OTK_LIMIT_BUNDLE_TOTAL + 16u * 1024u * 1024u)

/* Memory a sparse image (a loaded .hex) may allocate. */
#define OTK_LIMIT_IMAGE_MEMORY (256u * 1024u * 1024u)

#endif
