//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
)

// The test binary re-executes itself inside fresh namespaces to play the
// parts a container runtime plays: the pod sandbox (which only holds the
// UTS, network and IPC namespaces, like the pause container) and the setup
// of one container's root file system before it executes the container's
// command as PID 1.
const (
	helperModeEnv = "MYSQLGEN_E2E_HELPER"
	helperSpecEnv = "MYSQLGEN_E2E_HELPER_SPEC"
)

// runHelperIfAsked is called first by TestMain; it never returns when the
// binary was started as a helper.
func runHelperIfAsked() {
	mode := os.Getenv(helperModeEnv)
	if mode == "" {
		return
	}
	var err error
	switch mode {
	case "pause":
		err = helperPause(os.Getenv(helperSpecEnv))
	case "container":
		var spec containerSpec
		if err = json.Unmarshal([]byte(os.Getenv(helperSpecEnv)), &spec); err == nil {
			err = helperContainer(&spec)
		}
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	fmt.Fprintf(os.Stderr, "e2e helper %s: %v\n", mode, err)
	os.Exit(120)
}

// helperPause sets the pod's hostname in its new UTS namespace and then
// waits, holding the namespaces, until it is killed.
func helperPause(hostname string) error {
	if err := syscall.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	fmt.Println("ready")
	<-ch
	os.Exit(0)
	return nil
}

// containerSpec is everything a container needs that the container runtime
// would take from the image and the kubelet's container config.
type containerSpec struct {
	Root         string      // empty host directory: the root tmpfs is mounted here
	EtcSkip      []string    // host /etc entries the image or kubelet replaces
	EtcFiles     []imageFile // files the image adds under /etc
	Dirs         []imageDir  // directories the image has (owner, mode)
	Mounts       []mountSpec // kubelet-managed mounts: volumes, hosts, resolv.conf
	ReadOnlyRoot bool
	UID, GID     int
	Groups       []int
	Env          []string
	Argv         []string
	WorkDir      string
}

type imageFile struct {
	Path    string
	Content string
	Mode    uint32
}

type imageDir struct {
	Path     string
	Mode     uint32
	UID, GID int
}

type mountSpec struct {
	Source, Target string
	ReadOnly       bool
	File           bool
}

// helperContainer runs as PID 1 of a new PID and mount namespace, already
// inside the pod's UTS, network and IPC namespaces. It builds the container's
// root (the host's /usr as the image's binaries, a private /etc, /var, /run,
// /tmp, the volumes), pivots into it, takes the container's user and
// executes the command, which then is PID 1 like in a real container.
func helperContainer(s *containerSpec) error {
	runtime.LockOSThread()
	// fd 3 is the start handshake: it closes when the command is executed,
	// which is when the harness may consider the container running.
	syscall.CloseOnExec(3)
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private: %w", err)
	}
	root := s.Root
	if err := syscall.Mount("tmpfs", root, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("root tmpfs: %w", err)
	}
	if err := buildRoot(s); err != nil {
		return err
	}
	mounts := append([]mountSpec(nil), s.Mounts...)
	// Like containerd: shallower targets first, so none shadows another.
	sort.SliceStable(mounts, func(i, j int) bool {
		return strings.Count(filepath.Clean(mounts[i].Target), "/") < strings.Count(filepath.Clean(mounts[j].Target), "/")
	})
	for _, m := range mounts {
		if err := bindInto(root, m.Source, m.Target, m.File, m.ReadOnly); err != nil {
			return err
		}
	}
	if err := syscall.Mount("proc", filepath.Join(root, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting proc: %w", err)
	}
	old := filepath.Join(root, ".oldroot")
	if err := os.Mkdir(old, 0o700); err != nil {
		return err
	}
	if s.ReadOnlyRoot {
		if err := syscall.Mount("", root, "", syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, ""); err != nil {
			return fmt.Errorf("read-only root: %w", err)
		}
	}
	if err := syscall.PivotRoot(root, old); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := syscall.Chdir("/"); err != nil {
		return err
	}
	if err := syscall.Unmount("/.oldroot", syscall.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching old root: %w", err)
	}
	if !s.ReadOnlyRoot {
		_ = os.Remove("/.oldroot")
	}

	syscall.Umask(0o022)
	if err := syscall.Setgroups(s.Groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(s.GID); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setuid(s.UID); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	wd := s.WorkDir
	if wd == "" {
		wd = "/"
	}
	if err := syscall.Chdir(wd); err != nil {
		return fmt.Errorf("working directory %s: %w", wd, err)
	}
	path, err := lookPathIn(s.Argv[0], s.Env)
	if err != nil {
		return err
	}
	// Changing credentials cleared the parent-death signal: set it again on
	// the thread that executes, so the container dies with the harness.
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); e != 0 {
		return fmt.Errorf("prctl: %v", e)
	}
	return syscall.Exec(path, s.Argv, s.Env)
}

// buildRoot lays out the image: the host's /usr (with the merged-/usr
// symlinks) read-only, /etc as the host's entries bound one by one
// read-only, except what the image or the kubelet replaces, and private
// writable /var, /run, /tmp, /root, /home, /dev, /sys.
func buildRoot(s *containerSpec) error {
	root := s.Root
	ents, err := os.ReadDir("/")
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Type()&os.ModeSymlink == 0 {
			continue
		}
		target, err := os.Readlink("/" + e.Name())
		if err != nil {
			return err
		}
		if strings.HasPrefix(target, "usr/") || strings.HasPrefix(target, "/usr/") {
			if err := os.Symlink(target, filepath.Join(root, e.Name())); err != nil {
				return err
			}
		}
	}
	for _, d := range []string{"/usr"} {
		if err := bindInto(root, d, d, false, true); err != nil {
			return err
		}
	}
	for _, d := range []imageDir{
		{Path: "/etc", Mode: 0o755}, {Path: "/var", Mode: 0o755}, {Path: "/var/lib", Mode: 0o755},
		{Path: "/var/log", Mode: 0o755}, {Path: "/var/tmp", Mode: 0o1777}, {Path: "/run", Mode: 0o755},
		{Path: "/tmp", Mode: 0o1777}, {Path: "/root", Mode: 0o700}, {Path: "/home", Mode: 0o755},
		{Path: "/proc", Mode: 0o555}, {Path: "/sys", Mode: 0o555}, {Path: "/dev", Mode: 0o755},
		{Path: "/opt", Mode: 0o755}, {Path: "/mnt", Mode: 0o755}, {Path: "/srv", Mode: 0o755},
	} {
		if err := mkdirOwned(root, d); err != nil {
			return err
		}
	}
	if err := os.Symlink("../run", filepath.Join(root, "var/run")); err != nil {
		return err
	}
	if err := os.Symlink("../run/lock", filepath.Join(root, "var/lock")); err != nil {
		return err
	}
	skip := map[string]bool{}
	for _, n := range s.EtcSkip {
		skip[n] = true
	}
	for _, f := range s.EtcFiles {
		skip[strings.SplitN(strings.TrimPrefix(f.Path, "/etc/"), "/", 2)[0]] = true
	}
	etc, err := os.ReadDir("/etc")
	if err != nil {
		return err
	}
	for _, e := range etc {
		if skip[e.Name()] {
			continue
		}
		src := "/etc/" + e.Name()
		if e.Type()&os.ModeSymlink != 0 {
			t, err := os.Readlink(src)
			if err != nil {
				return err
			}
			if err := os.Symlink(t, filepath.Join(root, src)); err != nil {
				return err
			}
			continue
		}
		if !e.IsDir() && !e.Type().IsRegular() {
			continue
		}
		if err := bindInto(root, src, src, !e.IsDir(), true); err != nil {
			return err
		}
	}
	for _, f := range s.EtcFiles {
		p := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(f.Content), os.FileMode(f.Mode)); err != nil {
			return err
		}
	}
	for _, d := range s.Dirs {
		if err := mkdirOwned(root, d); err != nil {
			return err
		}
	}
	// A small /dev, as a runtime gives.
	dev := filepath.Join(root, "dev")
	if err := syscall.Mount("tmpfs", dev, "tmpfs", syscall.MS_NOSUID, "mode=0755"); err != nil {
		return fmt.Errorf("dev tmpfs: %w", err)
	}
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		if err := bindInto(root, "/dev/"+n, "/dev/"+n, true, false); err != nil {
			return err
		}
	}
	for n, t := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(t, filepath.Join(dev, n)); err != nil {
			return err
		}
	}
	shm := filepath.Join(dev, "shm")
	if err := os.Mkdir(shm, 0o1777); err != nil {
		return err
	}
	if err := syscall.Mount("shm", shm, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return fmt.Errorf("dev/shm: %w", err)
	}
	if err := bindInto(root, "/sys", "/sys", false, true); err != nil {
		return err
	}
	return nil
}

func mkdirOwned(root string, d imageDir) error {
	p := filepath.Join(root, d.Path)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(p, os.FileMode(d.Mode&0o777)|modeBits(d.Mode)); err != nil {
		return err
	}
	return os.Lchown(p, d.UID, d.GID)
}

// modeBits turns the unix sticky/setgid/setuid bits into Go's FileMode bits.
func modeBits(m uint32) os.FileMode {
	var fm os.FileMode
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	return fm
}

// bindInto bind-mounts a host path at target inside root, creating the
// mount point like runc does (inside a volume if the target lies in one).
func bindInto(root, src, target string, file, readOnly bool) error {
	dst := filepath.Join(root, target)
	if file {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("mount point for %s: %w", target, err)
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return fmt.Errorf("mount point for %s: %w", target, err)
		}
		f.Close()
	} else if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("mount point for %s: %w", target, err)
	}
	if err := syscall.Mount(src, dst, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, target, err)
	}
	if readOnly {
		if err := syscall.Mount("", dst, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("read-only %s: %w", target, err)
		}
	}
	return nil
}

// lookPathIn resolves a command like execvp would with the container's PATH.
func lookPathIn(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}
