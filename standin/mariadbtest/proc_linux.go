package mariadbtest

import "syscall"

// sysProcAttr makes the kernel kill mariadbd when the test binary dies,
// even by a panic or a timeout, which skip every deferred call.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
