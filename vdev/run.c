/*
 * otakit-vdev run: boot the virtual device with the device library
 * (otk_boot: complete pending update copies, scan, decide), say what was
 * decided and what the LED shows, then run the user part.
 *
 * A user part whose body is a shared object for this host is a native
 * application: it is written to a temporary file, loaded with dlopen and
 * run for real (setup() once, then loop()).  Anything else (a Cortex-M
 * image) is accepted and reported as not executable here.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otk/error.h"
#include "otk/module.h"
#include "cloud.h"
#include "run_usb.h"
#include "vdev.h"

#if defined(__x86_64__)
#define HOST_MACHINE 62   /* EM_X86_64 */
#elif defined(__aarch64__)
#define HOST_MACHINE 183  /* EM_AARCH64 */
#elif defined(__i386__)
#define HOST_MACHINE 3    /* EM_386 */
#elif defined(__arm__)
#define HOST_MACHINE 40   /* EM_ARM */
#else
#define HOST_MACHINE -1
#endif

static void on_signal(int sig)
{
	vdev_stop_signal = sig;
}

static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	/* A second Ctrl-C kills an application stuck in loop(). */
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static const struct otk_installed *find_mod(const struct otk_boot_report *r, uint8_t function,
					    uint8_t index)
{
	uint8_t role = otk_layout_role_for_function(function);
	for (size_t i = 0; i < r->nmods; i++) {
		const struct otk_installed *m = &r->mods[i];
		if (m->status == OTK_OK && m->prefix.function == function && m->prefix.index == index)
			return m;
		if (m->role == role && m->index == index && role)
			return m;
	}
	return NULL;
}

static void describe_module(const struct otk_installed *m)
{
	char name[64], deps[160] = "";
	uint8_t fn = m->role == OTK_AREA_BOOTLOADER ? OTK_FUNC_BOOTLOADER
		   : m->role == OTK_AREA_SYSTEM ? OTK_FUNC_SYSTEM
		   : m->role == OTK_AREA_USER ? OTK_FUNC_USER : OTK_FUNC_NONE;
	if (m->status == OTK_OK)
		fn = m->prefix.function;
	vdev_module_name(fn, m->index, name, sizeof name);
	if (m->status == OTK_ENOTFOUND) {
		SYS_INFO("%s: empty", name);
		return;
	}
	if (m->status != OTK_OK) {
		SYS_WARN("%s: invalid (%s)", name, otk_strerror(m->status));
		return;
	}
	for (int i = 0; i < 2; i++) {
		const struct otk_dependency *d = &m->prefix.dep[i];
		char dn[64];
		if (otk_dependency_is_none(d))
			continue;
		size_t l = strlen(deps);
		snprintf(deps + l, sizeof deps - l, "%s%s version %u", l ? ", " : ", needs ",
			 vdev_module_name(d->function, d->index, dn, sizeof dn), d->version);
	}
	if (m->prefix.function == OTK_FUNC_SYSTEM)
		SYS_INFO("%s: version %u (Device OS %s) at 0x%08x, valid%s%s", name, m->prefix.version,
			 vdev_dos_name(m->prefix.version), m->prefix.start, deps,
			 m->deps ? " (not met)" : "");
	else
		SYS_INFO("%s: version %u at 0x%08x, valid%s%s", name, m->prefix.version,
			 m->prefix.start, deps, m->deps ? " (not met)" : "");
}

/* snprintf through a va_list: the texts are short and truncation is harmless. */
static void put(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

/* Words for why the device is in safe mode or DFU mode. */
static void reason_text(const struct otk_boot_report *r, char *out, size_t cap)
{
	char name[64], dn[64];
	vdev_module_name(r->function, r->index, name, sizeof name);
	switch (r->reason) {
	case OTK_REASON_REQUESTED:
		put(out, cap, "requested");
		return;
	case OTK_REASON_SYSTEM1_INVALID:
		put(out, cap, "system part 1 missing or invalid (%s)", otk_strerror(r->detail));
		return;
	case OTK_REASON_BOOTLOADER_INVALID:
	case OTK_REASON_SYSTEM_INVALID:
	case OTK_REASON_USER_INVALID:
		put(out, cap, "%s invalid (%s)", name, otk_strerror(r->detail));
		return;
	case OTK_REASON_SYSTEM_DEPS:
	case OTK_REASON_USER_DEPS: {
		const struct otk_installed *m = find_mod(r, r->function, r->index);
		int which = 0;
		if (!m || m->status != OTK_OK ||
		    otk_deps_check(&m->prefix, r->mods, r->nmods, &which) == OTK_OK) {
			put(out, cap, "%s dependencies not met", name);
			return;
		}
		const struct otk_dependency *d = &m->prefix.dep[which];
		const struct otk_installed *have = find_mod(r, d->function, d->index);
		char need[96], got[96];
		vdev_module_name(d->function, d->index, dn, sizeof dn);
		if (d->function == OTK_FUNC_SYSTEM)
			put(need, sizeof need, "version %u (Device OS %s)", d->version,
				 vdev_dos_name(d->version));
		else
			put(need, sizeof need, "version %u", d->version);
		if (have && have->status == OTK_OK)
			put(got, sizeof got, "installed: version %u%s%s%s", have->prefix.version,
				 d->function == OTK_FUNC_SYSTEM ? " (Device OS " : "",
				 d->function == OTK_FUNC_SYSTEM ? vdev_dos_name(have->prefix.version) : "",
				 d->function == OTK_FUNC_SYSTEM ? ")" : "");
		else
			put(got, sizeof got, "not installed");
		put(out, cap, "%s needs %s %s, %s", name, dn, need, got);
		return;
	}
	default:
		put(out, cap, "%s", r->reason == OTK_REASON_NO_USER ? "no user part" : "none");
	}
}

static bool read_module(struct vdev *v, const struct otk_installed *u, uint8_t **data, size_t *len)
{
	struct otk_flash_area fa;
	int rc = otk_device_open(&v->dev, OTK_AREA_USER, u->index, &fa);
	uint32_t size = u->prefix.end - u->prefix.start + OTK_CRC_SIZE;
	if (rc == OTK_OK && (u->prefix.start < fa.addr || u->prefix.start - fa.addr > fa.size ||
			     size > fa.size - (u->prefix.start - fa.addr)))
		rc = OTK_ERANGE;   /* the scan checked this; keep the read in bounds anyway */
	if (rc == OTK_OK && !(*data = malloc(size)))
		rc = OTK_ENOMEM;
	if (rc == OTK_OK && (rc = otk_flash_read(&fa, u->prefix.start - fa.addr, *data, size)) < 0)
		free(*data);
	if (rc < 0) {
		SYS_ERROR("cannot read the user part: %s", otk_strerror(rc));
		return false;
	}
	*len = size;
	return true;
}

typedef void (*entry_fn)(void);

static entry_fn find_entry(void *h, const char *a, const char *b)
{
	void *sym = dlsym(h, a);
	entry_fn fn = NULL;
	if (!sym)
		sym = dlsym(h, b);
	if (sym)
		memcpy(&fn, &sym, sizeof fn);  /* POSIX: object to function pointer */
	return fn;
}

/* Run the native app in body[0, len); returns the exit status. */
static int run_native(const uint8_t *body, size_t len, unsigned long max_loops)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/otakit-vdev-app.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		SYS_ERROR("%s: %s", path, strerror(errno));
		return 1;
	}
	bool ok = write(fd, body, len) == (ssize_t)len;
	close(fd);
	void *h = ok ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
	const char *err = ok ? (h ? NULL : dlerror()) : strerror(errno);
	unlink(path);   /* the mapping outlives the name */
	if (!h) {
		SYS_ERROR("user part: cannot load the native application: %s", err);
		return 1;
	}
	entry_fn setup_fn = find_entry(h, "otk_app_setup", "setup");
	entry_fn loop_fn = find_entry(h, "otk_app_loop", "loop");
	if (!setup_fn && !loop_fn) {
		SYS_ERROR("user part: the native application exports neither setup() nor loop()");
		dlclose(h);
		return 1;
	}
	SYS_INFO("user part: native application (%zu bytes), running setup() then loop()", len);
	int hr = vdev_assets_run_handler();
	if (hr > 0)
		SYS_INFO("assets: onAssetOta handler called");
	else if (hr < 0)
		SYS_ERROR("assets: %s", otk_strerror(hr));
	if (setup_fn && !vdev_should_stop())
		setup_fn();
	unsigned long n = 0;
	while (loop_fn && !vdev_should_stop() && (!max_loops || n < max_loops)) {
		loop_fn();
		n++;
	}
	if (max_loops && n >= max_loops)
		SYS_INFO("stopping after %lu loop() calls", n);
	dlclose(h);
	return 0;
}

static int run_user(struct vdev *v, const struct otk_installed *u, unsigned long max_loops,
		    bool *idle)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct otk_module m;
	*idle = true;
	if (!read_module(v, u, &data, &len))
		return 1;
	int rc = otk_module_parse(data, len, &m);
	if (rc < 0) {
		SYS_ERROR("user part: %s", otk_strerror(rc));
		free(data);
		return 1;
	}
	/* Body: after the prefix (and its extensions), before the suffix. */
	size_t body_off = m.prefix_offset + m.prefix_size;
	size_t body_end = m.size - OTK_CRC_SIZE - m.suffix_size;
	if (m.warnings & OTK_WARN_SUFFIX_SIZE || body_end < body_off)
		body_end = body_off;
	const uint8_t *b = data + body_off;
	size_t bl = body_end - body_off;
	int status = 0;
	bool elf = bl >= 20 && memcmp(b, "\177ELF", 4) == 0;
	if (elf && b[4] == (sizeof(void *) == 8 ? 2 : 1) && b[5] == 1 &&
	    otk_le16(b + 18) == HOST_MACHINE) {
		*idle = false;
		status = run_native(b, bl, max_loops);
	} else if (elf) {
		SYS_WARN("user part: a shared object for another machine (e_machine %u), stored; "
			 "not executable here", otk_le16(b + 18));
	} else {
		SYS_WARN("user part: %u-byte image for the device's MCU, stored; not executable here",
			 m.size);
	}
	free(data);
	return status;
}

struct run_args {
	uint32_t requests;        /* OTK_BOOT_REQ_* */
	unsigned long max_loops;  /* 0: no limit */
	double secs;              /* 0: until a signal */
	bool listen;
	bool usb;                 /* --usb: serve USB on a virtual bus */
	bool cloud;               /* --cloud: connect to the server in the DCT */
	const char *usb_bus;      /* --usb-bus DIR: join that bus */
	char **cmd;               /* after --: run on the bus, then stop */
};

static int parse_run(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "loops", required_argument, NULL, 'n' },
		{ "safe-mode", no_argument, NULL, 's' },
		{ "dfu", no_argument, NULL, 'd' },
		{ "listen", no_argument, NULL, 'l' },
		{ "usb", no_argument, NULL, 'u' },
		{ "usb-bus", required_argument, NULL, 'b' },
		{ "cloud", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	memset(a, 0, sizeof *a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->secs = strtod(optarg, &end);
			if (*end || !(a->secs > 0) || a->secs > 4e6)
				return vdev_usage_error("run: --for takes a number of seconds");
			break;
		case 'n':
			a->max_loops = strtoul(optarg, &end, 10);
			if (*end || !a->max_loops)
				return vdev_usage_error("run: --loops takes a positive count");
			break;
		case 's': a->requests |= OTK_BOOT_REQ_SAFE; break;
		case 'd': a->requests |= OTK_BOOT_REQ_DFU; break;
		case 'l': a->listen = true; break;
		case 'u': a->usb = true; break;
		case 'b': a->usb = true; a->usb_bus = optarg; break;
		case 'c': a->cloud = true; break;
		default: return vdev_bad_option("run", argv);
		}
	}
	bool dashdash = false;
	for (int i = 1; i < optind && i < argc; i++)
		dashdash |= strcmp(argv[i], "--") == 0;
	if (dashdash && optind + 1 < argc) {
		if (!a->usb)
			return vdev_usage_error("run: a command after -- needs --usb");
		a->cmd = argv + optind + 1;
		return 0;
	}
	if (optind + 1 != argc)
		return vdev_usage_error("run: need DIR");
	return 0;
}

/*
 * Asset OTA at boot: the running app's required assets must all be stored,
 * else safe mode naming the first missing one (*why says so).
 */
static void check_assets(struct vdev *v, struct otk_boot_report *r, char *why, size_t cap)
{
	const struct otk_installed *u = NULL;
	for (size_t i = 0; i < r->nmods && !u; i++)
		if (r->mods[i].role == OTK_AREA_USER && r->mods[i].status == OTK_OK)
			u = &r->mods[i];
	if (!u)
		return;
	int dn = vdev_assets_deps(v, u);
	if (dn < 0) {
		SYS_WARN("assets: cannot read the user part's asset dependencies: %s",
			 otk_strerror(dn));
		return;
	}
	if (!v->has_assets) {
		if (dn > 0) {
			r->mode = OTK_MODE_SAFE;
			put(why, cap, "user part needs %d asset(s) and %s has no asset storage", dn,
			    v->layout->name);
		}
		return;
	}
	int ar = otk_assets_boot(&v->assets);
	if (ar == OTK_EASSET_MISSING) {
		const struct otk_asset_id *m = vdev_assets_first_missing(v);
		r->mode = OTK_MODE_SAFE;
		put(why, cap, "missing asset %s (%u of %d required asset(s) not stored)",
		    m ? m->name : "?", v->assets.missing, dn);
	} else if (ar < 0) {
		SYS_ERROR("assets: %s", otk_strerror(ar));
	} else if (dn > 0) {
		static const char *const st[] = { "none", "handled", "want" };
		uint8_t s = otk_assets_state(&v->assets);
		SYS_INFO("assets: %d required, all stored; state %s", dn, s < 3 ? st[s] : "?");
	}
}

/* The boot decision and the LED, as a device shows them; true when the app runs. */
static bool report_mode(const struct otk_boot_report *r, const char *why, bool listen)
{
	if (r->mode == OTK_MODE_DFU) {
		SYS_WARN("boot: DFU mode: %s", why);
		SYS_INFO("LED: blinking yellow (DFU mode)");
	} else if (r->mode == OTK_MODE_SAFE) {
		SYS_WARN("boot: safe mode: %s", why);
		SYS_INFO("LED: %s", listen ? "blinking dark blue (listening mode)"
					   : "breathing magenta (safe mode; setup() and loop() do not run)");
	} else if (listen) {
		SYS_INFO("boot: normal mode; listening mode requested");
		SYS_INFO("LED: blinking dark blue (listening mode; the application does not run)");
	} else {
		SYS_INFO("boot: normal mode%s", r->reason == OTK_REASON_NO_USER ? ", no user part" : "");
		SYS_INFO("LED: breathing cyan");
		return r->reason != OTK_REASON_NO_USER;
	}
	return false;
}

/* Boot: complete a pending update, decide the mode; false when booting failed. */
static bool boot(struct vdev *v, uint32_t requests, struct otk_boot_report *r)
{
	static uint8_t scan[4096];
	if (otk_update_pending(&v->upd))
		SYS_INFO("update: %u module(s) waiting to be copied into place", v->upd.nslots);
	int rc = otk_boot(&v->dev, &v->upd, scan, sizeof scan, requests, r);
	if (rc < 0) {
		SYS_ERROR("boot failed: %s", otk_strerror(rc));
		return false;
	}
	if (r->copied)
		SYS_INFO("update: %u module(s) copied into place", r->copied);
	if (r->recover < 0)
		SYS_ERROR("update: completing the copy failed: %s", otk_strerror(r->recover));
	for (size_t i = 0; i < r->nmods; i++)
		if (r->mods[i].role == OTK_AREA_BOOTLOADER || r->mods[i].role == OTK_AREA_SYSTEM ||
		    r->mods[i].role == OTK_AREA_USER)
			describe_module(&r->mods[i]);
	return true;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a;
	int status = parse_run(argc, argv, &a);
	if (status)
		return status;
	vlog_start();
	install_handlers();
	if (a.secs > 0)
		vdev_deadline_ms = (uint32_t)(a.secs * 1000.0);
	struct vdev *v = calloc(1, sizeof *v);
	struct otk_boot_report r;
	status = 1;
	if (!v)
		return 1;
	if (!vdev_open(v, argv[optind]))
		goto out;
	vdev_set_device_id(v->id);
	SYS_INFO("booting %s device %s", v->layout->name, v->id);
	if (!vdev_update_init(v) || !vdev_assets_open(v))
		goto out_close;
	vdev_assets_bind(v);
	uint32_t requests = a.requests;
	bool plugged = false;
	for (;;) {
		status = 1;
		if (!boot(v, requests, &r))
			goto out_usb;
		char why[256];
		reason_text(&r, why, sizeof why);
		if (r.mode == OTK_MODE_NORMAL && r.reason != OTK_REASON_NO_USER)
			check_assets(v, &r, why, sizeof why);
		bool app = report_mode(&r, why, a.listen);
		if (a.cloud && !cloud_start(v, &r))
			goto out_usb;
		if (a.usb)
			run_usb_set_report(&r);
		if (a.usb)
			run_usb_set_listen(a.listen || r.reason == OTK_REASON_NO_USER);
		if (a.usb && !plugged) {
			if (!run_usb_start(v, a.usb_bus, r.mode == OTK_MODE_DFU, a.cmd))
				goto out_usb;
			plugged = true;
		} else if (a.usb && !run_usb_replug(r.mode == OTK_MODE_DFU)) {
			goto out_usb;
		}

		bool idle = true;
		status = 0;
		for (size_t i = 0; app && i < r.nmods; i++)
			if (r.mods[i].role == OTK_AREA_USER && r.mods[i].status == OTK_OK) {
				status = run_user(v, &r.mods[i], a.max_loops, &idle);
				break;
			}
		if (idle && status == 0)
			while (!vdev_should_stop()) {
				if (a.usb)
					run_usb_idle();
				else
					vdev_sleep(1000);
			}
		if (!vdev_reboot || vdev_stop_signal)
			break;
		/* A USB request reset the device: boot again, as after the reset button. */
		vdev_reboot = false;
		requests = a.usb ? run_usb_next_requests() : 0;
		SYS_INFO("reset: rebooting%s", requests & OTK_BOOT_REQ_DFU ? " into DFU mode"
					  : requests & OTK_BOOT_REQ_SAFE ? " into safe mode" : "");
		if (!vdev_update_init(v) || !vdev_assets_open(v))
			goto out_usb;
		vdev_assets_bind(v);
	}
	if (vdev_stop_signal)
		SYS_INFO("stopping: %s", vdev_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	else if (vdev_deadline_ms && a.secs > 0 && vdev_should_stop())
		SYS_INFO("stopping: ran for %.3g s", a.secs);
out_usb:
	cloud_stop();
	if (a.usb)
		status = run_usb_stop(status);
out_close:
	vdev_close(v);
out:
	free(v);
	return status;
}
