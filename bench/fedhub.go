package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The federation workload's hub runs in a process of its own unless
// -fed-hub-process=false: the "two local servers", each with its
// own Go runtime, scheduler and SQLite allocator, as two `tearline serve`
// processes on one machine would be. The bench starts itself again with
// -fed-serve-hub, passing the hub's listener as file descriptor 3; the
// child serves the hub's data directory until its standard input closes.

// hubProcess is the child process serving the hub.
type hubProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startHubProcess closes the node's store and serves its data directory
// from a child process on the node's listener. profileDir, when not
// empty, is where the child writes its CPU profile.
func (n *fedNode) startHubProcess(profileDir string) error {
	if err := n.shut(); err != nil {
		return fmt.Errorf("close the hub's store: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	tl, ok := n.ln.(*net.TCPListener)
	if !ok {
		return fmt.Errorf("hub listener is a %T, want *net.TCPListener", n.ln)
	}
	f, err := tl.File()
	if err != nil {
		return err
	}
	defer f.Close()
	args := []string{"-fed-serve-hub", n.dir}
	if profileDir != "" {
		args = append(args, "-profile", profileDir)
	}
	cmd := exec.Command(exe, args...)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the hub process: %w", err)
	}
	h := &hubProcess{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		return errors.Join(fmt.Errorf("the hub process did not start: read %q: %v", line, err), h.stop())
	}
	n.hub = h
	return nil
}

// stop closes the child's standard input and waits for it to exit.
func (h *hubProcess) stop() error {
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		return fmt.Errorf("hub process: %w", err)
	}
	return nil
}

// cpu returns the user and system CPU time the child has used, read from
// /proc (Linux; 0 elsewhere).
func (h *hubProcess) cpu() time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(h.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name, which ends at the last ')':
	// state is the first of them, utime and stime the 12th and 13th.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// serveHub is the child process: it serves the hub's data directory dir
// on the listener inherited as file descriptor 3 until its standard input
// closes.
func serveHub(ctx context.Context, dir, profileDir string) error {
	ln, err := net.FileListener(os.NewFile(3, "hub listener"))
	if err != nil {
		return fmt.Errorf("inherited listener: %w", err)
	}
	n := &fedNode{dir: dir}
	if err := n.open(ctx, "hub"); err != nil {
		return errors.Join(err, n.shut(), ln.Close())
	}
	stopProfile, err := startProfile(profileDir, "federation-hub")
	if err != nil {
		return errors.Join(err, n.shut(), ln.Close())
	}
	n.serve(ln)
	fmt.Println("ready")
	_, err = io.Copy(io.Discard, os.Stdin)
	stopProfile()
	return errors.Join(err, n.shut())
}
