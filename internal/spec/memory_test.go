package spec

import "testing"

// Sizes read as the servers' option parser reads them.
func TestParseOptionSize(t *testing.T) {
	cases := map[string]int64{
		"134217728": 128 * MiB, "128M": 128 * MiB, "2g": 2048 * MiB, "'1G'": 1024 * MiB, `"512k"`: 512 << 10, "1T": 1 << 40,
	}
	for in, want := range cases {
		if got, ok := ParseOptionSize(in); !ok || got != want {
			t.Errorf("ParseOptionSize(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2GB", "1.5G", "-1G", "G", "99999999999E"} {
		if got, ok := ParseOptionSize(bad); ok {
			t.Errorf("ParseOptionSize(%q) = %d, want refused", bad, got)
		}
	}
}

// Every release fits its smallest limit, and not one MiB less.
func TestMinLimit(t *testing.T) {
	for _, r := range Releases {
		limit := MinLimit(r)
		if m := PlanMemory(r, limit, 0); !m.Fits() || m.BufferPool != BufferPoolChunk {
			t.Errorf("%s %s at %dMi: %+v", r.Flavor, r.Version, limit/MiB, m)
		}
		if m := PlanMemory(r, limit-MiB, 0); m.Fits() {
			t.Errorf("%s %s fits below its minimum: %+v", r.Flavor, r.Version, m)
		}
	}
}
