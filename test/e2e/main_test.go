//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	runHelperIfAsked()
	flag.Parse()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		closeAll("got " + s.String())
		fmt.Println(checks.summary())
		os.Exit(2)
	}()
	// go test's -timeout panics without running deferred calls: tear down
	// shortly before it.
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > time.Minute {
			time.AfterFunc(d-30*time.Second, func() { closeAll("test timeout near") })
		}
	}
	code := m.Run()
	closeAll("end of run")
	if os.Getenv("MYSQLGEN_E2E_KEEP") == "" && binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	fmt.Println(checks.summary())
	if checks.failed > 0 && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// requireHost skips (or, with MYSQLGEN_E2E_REQUIRE=1 as in CI, fails) when
// the machine cannot run the simulation.
func requireHost(t *testing.T) {
	t.Helper()
	var why string
	if os.Geteuid() != 0 {
		why = "needs root (namespaces, bind mounts, a mysql account)"
	} else if err := findHostTools(); err != nil {
		why = err.Error()
	} else if out, err := exec.Command(hostTools["nsenter"], "--version").CombinedOutput(); err != nil {
		why = fmt.Sprintf("nsenter does not run: %v %s", err, out)
	}
	if why == "" {
		return
	}
	if os.Getenv("MYSQLGEN_E2E_REQUIRE") != "" {
		t.Fatalf("e2e cannot run here and MYSQLGEN_E2E_REQUIRE is set: %s", why)
	}
	fmt.Printf("SKIP e2e: %s\n", why)
	t.Skip("SKIP e2e: " + why)
}
