/*
 * otakitd's store: everything the service remembers, behind one interface.
 *
 * A backend fills a table of operations (struct otkd_store_ops); the rest of
 * the server calls only these and never speaks SQL.  The SQLite backend
 * (store_sqlite.c) is the one for a single node; a PostgreSQL backend
 * shared by several nodes goes beside it with the same table.  Every
 * operation that writes more than one row is one transaction in the backend,
 * so a crash leaves either all of it or none.  Operations are safe to call
 * from several threads at once.
 *
 * Return codes: OTK_OK, OTK_ENOTFOUND, OTK_EEXIST (unique key taken),
 * OTK_EINVAL (a reference that does not hold, e.g. an unknown group),
 * OTK_ERANGE (a rule refused it: version not higher, firmware released),
 * OTK_EIO (the database failed), OTK_ENOMEM.
 * Lists are malloc'd arrays handed to the caller (free() them).
 */
#ifndef OTKD_STORE_H
#define OTKD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTKD_NAME_MAX 128
#define OTKD_TEXT_MAX 1024
#define OTKD_HASH_HEX 65           /* 64 hex digits and NUL */
#define OTKD_DEVICE_ID_LEN 24
#define OTKD_GROUPS_MAX 1024       /* comma-joined group names */
#define OTKD_SCOPES_MAX 512        /* space-joined scopes */

struct otkd_user {
	int64_t id;
	char username[OTKD_NAME_MAX];
	char password_hash[128];   /* libsodium crypto_pwhash_str() output */
	int64_t created_at;
	bool admin;                /* may change what all users share (Device OS catalog) */
};

struct otkd_token {
	int64_t id;
	uint8_t hash[32];          /* SHA-256 of the token text */
	int64_t user_id;
	int64_t product_id;        /* 0: the user's products; else only this one */
	char scopes[OTKD_SCOPES_MAX];  /* space-separated; "*" = every scope */
	char client[32];
	int64_t created_at;
	int64_t expires_at;        /* 0: never */
};

struct otkd_product {
	int64_t id;
	char slug[OTKD_NAME_MAX];
	char name[OTKD_NAME_MAX];
	uint16_t platform_id;
	char description[OTKD_TEXT_MAX];
	int64_t created_at;
};

struct otkd_device {
	char id[OTKD_DEVICE_ID_LEN + 1];   /* 24 lowercase hex digits */
	char name[OTKD_NAME_MAX];
	uint16_t platform_id;
	int64_t owner_id;          /* 0: unclaimed */
	int64_t product_id;        /* 0: not in a product */
	bool quarantined, denied, development, firmware_updates_forced;
	bool has_desired;          /* desired_firmware_version is set (locked) */
	uint32_t desired_firmware_version;
	bool has_firmware_version; /* reported by the device */
	uint32_t firmware_version;
	char notes[OTKD_TEXT_MAX];
	char groups[OTKD_GROUPS_MAX];  /* comma-joined, sorted */
	int64_t last_heard;
	bool online;
	int64_t created_at;
};

struct otkd_group {
	int64_t product_id;
	char name[OTKD_NAME_MAX];
	char color[16];
	char description[OTKD_TEXT_MAX];
};

struct otkd_asset {
	char name[OTKD_NAME_MAX * 2];
	char sha256[OTKD_HASH_HEX];
	uint64_t size;
};

struct otkd_firmware {
	int64_t product_id;
	uint32_t version;
	char title[OTKD_NAME_MAX];
	char description[OTKD_TEXT_MAX];
	char filename[OTKD_NAME_MAX];
	uint64_t size;
	char sha256[OTKD_HASH_HEX];        /* the uploaded file, in the blob store */
	char app_sha256[OTKD_HASH_HEX];    /* the application module, in the blob store */
	uint64_t app_size;
	bool is_bundle;
	int64_t uploaded_at;
	int64_t uploaded_by;
	bool product_default;
	int64_t released_at;       /* 0: never released */
	bool intelligent;
	char groups[OTKD_GROUPS_MAX];      /* released to these groups, comma-joined */
	uint64_t device_count;     /* product devices reporting this version */
};

/* One module of a Device OS release in the catalog. */
struct otkd_dos_module {
	char version[32];          /* "5.6.0" */
	uint32_t internal_version; /* the system part's module version */
	uint16_t platform_id;
	char filename[OTKD_NAME_MAX];
	uint8_t function, index;
	uint16_t module_version;
	uint32_t start, end;
	uint8_t flags;
	uint8_t dep_function, dep_index;
	uint16_t dep_version;
	uint8_t dep2_function, dep2_index;
	uint16_t dep2_version;
	uint32_t prefix_offset;
	uint32_t crc;
	uint64_t size;
	char sha256[OTKD_HASH_HEX];
};

/* One release of the Device OS catalog for one platform, summed up. */
struct otkd_dos_release {
	char version[32];
	uint32_t internal_version;
	uint16_t platform_id;
	unsigned modules;
	uint64_t size;             /* of all its module files */
};

/* Firmware queued for one device. */
struct otkd_flash {
	int64_t id;
	char device_id[OTKD_DEVICE_ID_LEN + 1];
	char filename[OTKD_NAME_MAX];
	uint64_t size;
	char sha256[OTKD_HASH_HEX];
	char app_sha256[OTKD_HASH_HEX];
	bool is_bundle;
	int64_t queued_at;
	int64_t queued_by;
};

/* Filters and paging for product device lists. */
struct otkd_device_query {
	int64_t product_id;
	const char *device_id;     /* substring of the id, or NULL */
	const char *name;          /* substring of the name, or NULL */
	const char *group;         /* member of this group, or NULL */
	bool quarantined;          /* list quarantined devices instead of approved */
	uint32_t page;             /* from 1 */
	uint32_t per_page;
};

/* What a device update writes: the fields whose set_* flag is true. */
struct otkd_device_update {
	bool set_name, set_notes, set_development, set_forced, set_desired, set_groups;
	const char *name;
	const char *notes;
	bool development;
	bool firmware_updates_forced;
	bool has_desired;          /* false with set_desired: unlock */
	uint32_t desired_firmware_version;
	const char *const *groups; /* the whole set, created when missing */
	size_t ngroups;
};

struct otkd_release {
	uint32_t version;
	bool product_default;
	bool intelligent;
	const char *const *groups;
	size_t ngroups;
};

struct otkd_store;

struct otkd_store_ops {
	void (*close)(struct otkd_store *s);
	/* "ok" when the database passes its own consistency check; msg gets the
	 * backend's first complaint otherwise. */
	int (*check)(struct otkd_store *s, char *msg, size_t msglen);

	int (*user_add)(struct otkd_store *s, struct otkd_user *u);        /* sets u->id */
	int (*user_by_name)(struct otkd_store *s, const char *name, struct otkd_user *u);
	int (*user_by_id)(struct otkd_store *s, int64_t id, struct otkd_user *u);

	int (*token_add)(struct otkd_store *s, struct otkd_token *t);      /* sets t->id */
	int (*token_by_hash)(struct otkd_store *s, const uint8_t hash[32], struct otkd_token *t);
	int (*token_delete)(struct otkd_store *s, const uint8_t hash[32]);

	/* Adds the product and makes owner_id a member, in one transaction. */
	int (*product_add)(struct otkd_store *s, struct otkd_product *p, int64_t owner_id);
	int (*product_by_id)(struct otkd_store *s, int64_t id, struct otkd_product *p);
	int (*product_by_slug)(struct otkd_store *s, const char *slug, struct otkd_product *p);
	/* Products user_id is a member of. */
	int (*product_list)(struct otkd_store *s, int64_t user_id, struct otkd_product **out,
			    size_t *n);
	/* OTK_OK when user_id is a member of product_id, OTK_ENOTFOUND when not. */
	int (*member_check)(struct otkd_store *s, int64_t product_id, int64_t user_id);

	int (*device_get)(struct otkd_store *s, const char *id, struct otkd_device *d);
	/* Puts a device into a product (creating the row when new); a device in
	 * another product is OTK_EEXIST. */
	int (*product_device_add)(struct otkd_store *s, int64_t product_id, const char *id,
				  uint16_t platform_id);
	/* Removes from the product; deny marks it denied (it stays known). */
	int (*product_device_remove)(struct otkd_store *s, int64_t product_id, const char *id,
				     bool deny);
	int (*product_device_list)(struct otkd_store *s, const struct otkd_device_query *q,
				   struct otkd_device **out, size_t *n, uint64_t *total);
	/* Applies u to a product device in one transaction; OTK_ENOTFOUND when
	 * the locked version does not exist. */
	int (*product_device_update)(struct otkd_store *s, int64_t product_id, const char *id,
				     const struct otkd_device_update *u);
	/* Claims a known device for user_id: OTK_ENOTFOUND when the cloud does
	 * not know it, OTK_EEXIST when another user owns it. */
	int (*device_claim)(struct otkd_store *s, const char *id, int64_t user_id);
	/* Releases a device user_id owns (OTK_ENOTFOUND otherwise). */
	int (*device_unclaim)(struct otkd_store *s, const char *id, int64_t user_id);
	int (*device_rename)(struct otkd_store *s, const char *id, const char *name);
	/* Stores a device's public key, creating the device when new;
	 * OTK_EEXIST when another device has the same key. */
	int (*device_set_key)(struct otkd_store *s, const char *id, const char *algorithm,
			      const char *pem, const char *fingerprint);
	/* Queues firmware for one device with its assets, in one transaction;
	 * sets f->id.  An earlier undelivered flash is replaced. */
	int (*device_flash_add)(struct otkd_store *s, struct otkd_flash *f,
				const struct otkd_asset *assets, size_t nassets);
	/* Devices owned by user_id. */
	int (*device_list_owned)(struct otkd_store *s, int64_t user_id, struct otkd_device **out,
				 size_t *n);
	/* The device whose public key has this fingerprint (SHA-256 hex of the
	 * DER SubjectPublicKeyInfo): its id into id[25], or OTK_ENOTFOUND. */
	int (*device_by_key)(struct otkd_store *s, const char *fingerprint, char *id);
	/* Stores (replaces) a device's DTLS session under its 8-byte CID. */
	int (*session_put)(struct otkd_store *s, const uint8_t *cid, const char *device_id,
			   const uint8_t *state, size_t len);
	/* Reads the session with this CID into state (cap bytes) and the device id
	 * into device_id[25]: OTK_ENOTFOUND, OTK_ENOSPC. */
	int (*session_get)(struct otkd_store *s, const uint8_t *cid, char *device_id,
			   uint8_t *state, size_t cap, size_t *len);

	int (*group_list)(struct otkd_store *s, int64_t product_id, struct otkd_group **out,
			  size_t *n);
	int (*group_add)(struct otkd_store *s, const struct otkd_group *g);
	int (*group_get)(struct otkd_store *s, int64_t product_id, const char *name,
			 struct otkd_group *g);
	/* color and description, NULL keeps the value. */
	int (*group_update)(struct otkd_store *s, int64_t product_id, const char *name,
			    const char *color, const char *description);
	/* Also removes the group from its devices and releases, in one transaction. */
	int (*group_delete)(struct otkd_store *s, int64_t product_id, const char *name);

	/* Replaces the modules of (version, platform) with m[0..n) in one
	 * transaction (all share version, internal_version and platform_id). */
	int (*dos_import)(struct otkd_store *s, const struct otkd_dos_module *m, size_t n);
	/* The modules of a release for a platform: by version string, or by
	 * internal version when version is NULL, or the highest when both are
	 * NULL/0.  OTK_ENOTFOUND when there is none. */
	int (*dos_get)(struct otkd_store *s, uint16_t platform_id, const char *version,
		       uint32_t internal_version, struct otkd_dos_module **out, size_t *n);

	/* Highest version of a product, 0 when none. */
	int (*firmware_max_version)(struct otkd_store *s, int64_t product_id, uint32_t *version);
	/* Adds a version and its assets in one transaction; OTK_ERANGE when the
	 * version is not above every existing one (checked inside it). */
	int (*firmware_add)(struct otkd_store *s, const struct otkd_firmware *f,
			    const struct otkd_asset *assets, size_t nassets);
	int (*firmware_get)(struct otkd_store *s, int64_t product_id, uint32_t version,
			    struct otkd_firmware *f);
	int (*firmware_list)(struct otkd_store *s, int64_t product_id, struct otkd_firmware **out,
			     size_t *n);
	int (*firmware_assets)(struct otkd_store *s, int64_t product_id, uint32_t version,
			       struct otkd_asset **out, size_t *n);
	int (*firmware_edit)(struct otkd_store *s, int64_t product_id, uint32_t version,
			     const char *title, const char *description);
	/* OTK_ERANGE when the version was ever released. */
	int (*firmware_delete)(struct otkd_store *s, int64_t product_id, uint32_t version);
	/* Releases in one transaction; OTK_EINVAL when a group does not exist. */
	int (*firmware_release)(struct otkd_store *s, int64_t product_id,
				const struct otkd_release *r);

	/* The releases in the Device OS catalog, of one platform (0: all), by
	 * platform and then internal version. */
	int (*dos_releases)(struct otkd_store *s, uint16_t platform_id,
			    struct otkd_dos_release **out, size_t *n);
	/* The tokens of user_id (their hashes, never their text), oldest first. */
	int (*token_list)(struct otkd_store *s, int64_t user_id, struct otkd_token **out,
			  size_t *n);
	/* --- the update planner (planner.c) --- */
	/* The oldest undelivered file queued for a device by PUT
	 * /v1/devices/:id, with its assets (malloc'd, may be NULL when none);
	 * OTK_ENOTFOUND when nothing is queued. */
	int (*device_flash_pending)(struct otkd_store *s, const char *device_id,
				    struct otkd_flash *f, struct otkd_asset **assets, size_t *n);
	/* Marks a queued file delivered (the device installed it). */
	int (*device_flash_delivered)(struct otkd_store *s, int64_t flash_id);
	/* Every Device OS catalog module of a platform, all releases. */
	int (*dos_list)(struct otkd_store *s, uint16_t platform_id, struct otkd_dos_module **out,
			size_t *n);
};

struct otkd_store {
	const struct otkd_store_ops *ops;
};

/*
 * Opens (creating when new) the SQLite store in dir/otakitd.db, WAL mode,
 * and applies the migrations it lacks, each in its own transaction.  A
 * database newer than this program is refused.  msg gets why on failure.
 */
int otkd_store_sqlite_open(const char *dir, unsigned connections, struct otkd_store **out,
			   char *msg, size_t msglen);

#endif
