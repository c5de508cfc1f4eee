/*
 * run --usb: the bus around the device (otakit-vbus started, or joined
 * with --usb-bus), the command run on it, and the poll hook that serves
 * USB between the app's loop() calls and while the device idles.
 */
#define _GNU_SOURCE
#include "run_usb.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct vusb g_usb;
static pid_t bus_pid = -1, cmd_pid = -1;
static int cmd_status = -1;
static char bus_dir[4096];
static bool own_bus_dir;
static uint32_t next_requests;
static bool started;

static bool act_pending;
static uint32_t act_since; /* when the pending action was seen (ms) */

static void hook(void)
{
	int st;
	vusb_poll(&g_usb, 0);
	/*
	 * Reset, DFU and safe mode act after the reply, 1 s later (spec 04), so
	 * the host can complete the request; after DfuSe's leave, sooner.
	 */
	/* vdev_reboot: the reboot is decided; the app may still call in until it stops */
	if (g_usb.action != VUSB_NONE && !act_pending && !vdev_reboot) {
		act_pending = true;
		act_since = vlog_millis();
	}
	if (act_pending && !vdev_reboot &&
	    vlog_millis() - act_since >= (g_usb.dfu ? 200u : 1000u)) {
		act_pending = false;
		next_requests = g_usb.action == VUSB_ENTER_DFU ? OTK_BOOT_REQ_DFU
				: g_usb.action == VUSB_SAFE_MODE ? OTK_BOOT_REQ_SAFE : 0;
		vdev_reboot = true;
	}
	if (cmd_pid > 0 && waitpid(cmd_pid, &st, WNOHANG) == cmd_pid) {
		cmd_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		cmd_pid = -1;
		SYS_INFO("usb: the command exited with status %d", cmd_status);
		vdev_deadline_ms = 1; /* stop now */
	}
}

/* Starts otakit-vbus on a fresh directory; its first lines are the environment. */
static bool start_bus(char *env_dir, size_t cap)
{
	char self[PATH_MAX], exe[PATH_MAX + 16];
	int out[2], in[2];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	FILE *f;
	char line[4200];
	snprintf(bus_dir, sizeof bus_dir, "%s/otakit-usb-XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(bus_dir)) {
		cli_error(bus_dir, "%s", strerror(errno));
		return false;
	}
	own_bus_dir = true;
	exe[0] = 0;
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(exe, sizeof exe, "%s/otakit-vbus", self);
			if (access(exe, X_OK) != 0)
				exe[0] = 0;
		}
	}
	if (!exe[0])
		snprintf(exe, sizeof exe, "otakit-vbus");
	if (pipe(out) < 0 || pipe(in) < 0) {
		cli_error("otakit-vbus", "%s", strerror(errno));
		return false;
	}
	bus_pid = fork();
	if (bus_pid == 0) {
		/* stdin: a pipe we hold, so the bus ends with us. */
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp(exe, "otakit-vbus", bus_dir, (char *)NULL);
		fprintf(stderr, "otakit-vdev: %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (bus_pid < 0) {
		cli_error("otakit-vbus", "%s", strerror(errno));
		return false;
	}
	f = fdopen(out[0], "r");
	env_dir[0] = 0;
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "UMOCKDEV_DIR=", 13) == 0 && strlen(line + 13) < cap)
			memcpy(env_dir, line + 13, strlen(line + 13) + 1);
		if (strncmp(line, "LD_PRELOAD=", 11) == 0)
			break;
	}
	if (f)
		fclose(f);
	if (!env_dir[0]) {
		cli_error("otakit-vbus", "the USB bus did not start (umockdev installed?)");
		return false;
	}
	return true;
}

static void set_preload_env(const char *umockdev_dir)
{
	const char *pre = getenv("LD_PRELOAD");
	const char *asan = getenv("ASAN_OPTIONS");
	char v[8192];
	setenv("UMOCKDEV_DIR", umockdev_dir, 1);
	snprintf(v, sizeof v, "libumockdev-preload.so.0%s%s", pre && *pre ? ":" : "", pre ? pre : "");
	setenv("LD_PRELOAD", v, 1);
	snprintf(v, sizeof v, "%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", v, 1);
}

bool run_usb_start(struct vdev *v, const char *join, bool dfu, char **cmd)
{
	char env_dir[4096] = "";
	if (join) {
		snprintf(bus_dir, sizeof bus_dir, "%s", join);
	} else if (!start_bus(env_dir, sizeof env_dir)) {
		return false;
	}
	g_usb.fd = -1;
	started = true;
	if (!vusb_attach(&g_usb, v, bus_dir, dfu))
		return false;
	vdev_poll_hook = hook;
	vdev_log_hook = vserial_log;
	if (cmd && cmd[0]) {
		if (!env_dir[0] && !getenv("UMOCKDEV_DIR")) {
			cli_error(bus_dir, "a command on a joined bus needs UMOCKDEV_DIR from its owner");
			return false;
		}
		fflush(stdout);
		cmd_pid = fork();
		if (cmd_pid == 0) {
			if (env_dir[0])
				set_preload_env(env_dir);
			else
				set_preload_env(getenv("UMOCKDEV_DIR"));
			execvp(cmd[0], cmd);
			fprintf(stderr, "otakit-vdev: %s: %s\n", cmd[0], strerror(errno));
			_exit(127);
		}
		if (cmd_pid < 0) {
			cli_error(cmd[0], "%s", strerror(errno));
			return false;
		}
	} else if (env_dir[0]) {
		printf("export UMOCKDEV_DIR=%s\nexport LD_PRELOAD=libumockdev-preload.so.0\n"
		       "export OTAKIT_USB_BUS=%s\n", env_dir, bus_dir);
		fflush(stdout);
	}
	return true;
}

void run_usb_set_report(const struct otk_boot_report *r)
{
	g_usb.report = r;
}

void run_usb_set_listen(bool listen)
{
	g_usb.listening = listen || g_usb.listen_next_boot;
	g_usb.listen_next_boot = false;
	if (g_usb.listening)
		SYS_INFO("serial: listening mode on the USB serial port");
}

bool run_usb_replug(bool dfu)
{
	act_pending = false;
	return vusb_replug(&g_usb, dfu);
}

uint32_t run_usb_next_requests(void)
{
	return next_requests;
}

void run_usb_idle(void)
{
	vusb_poll(&g_usb, 20);
}

int run_usb_stop(int status)
{
	int st;
	vdev_poll_hook = NULL;
	vdev_log_hook = NULL;
	if (started)
		vusb_detach(&g_usb);
	if (cmd_pid > 0) {
		kill(cmd_pid, SIGTERM);
		if (waitpid(cmd_pid, &st, 0) == cmd_pid)
			cmd_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (bus_pid > 0) {
		kill(bus_pid, SIGTERM);
		waitpid(bus_pid, &st, 0);
	}
	if (own_bus_dir)
		rmdir(bus_dir);
	return cmd_status >= 0 ? cmd_status : status;
}
