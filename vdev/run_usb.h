/* run --usb (run_usb.c): the bus, the command on it, the poll hook. */
#ifndef OTK_VDEV_RUN_USB_H
#define OTK_VDEV_RUN_USB_H

#include "usb.h"

/*
 * Joins the bus in directory join (NULL: start otakit-vbus on a fresh
 * one), plugs the device in, and starts cmd (NULL-terminated, or NULL: print
 * the environment another shell needs).  false with a message on failure.
 */
bool run_usb_start(struct vdev *v, const char *join, bool dfu, char **cmd);
/* The boot report the module info request describes (kept by the caller). */
void run_usb_set_report(const struct otk_boot_report *r);
/* Listening mode at this boot (--listen, no valid user part); 'L' adds the next. */
void run_usb_set_listen(bool listen);
/* Re-enumerate after a reboot. */
bool run_usb_replug(bool dfu);
/* The boot requests of the reboot a USB request asked for. */
uint32_t run_usb_next_requests(void);
/* Serve the bus while idle (up to 20 ms). */
void run_usb_idle(void);
/* Unplug, stop the command and the bus; the command's exit status, else status. */
int run_usb_stop(int status);

#endif
