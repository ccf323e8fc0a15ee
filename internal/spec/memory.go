package spec

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The memory model of the server container: what the derived my.cnf
// settings (buffer pool, connection limit, TempTable's RAM) are sized by,
// and what Validate holds a buffer pool from spec.config to. The kernel
// kills a container that exceeds its limit, so every term is an upper bound
// a busy server reaches, not what an idle one shows.
const (
	MiB = int64(1) << 20
	// BufferPoolChunk: InnoDB sizes its buffer pool in chunks of 128 MiB.
	BufferPoolChunk = 128 * MiB
	// PerConnection is what a connection may cost beyond the buffer pool
	// (thread stack, network, sort and join buffers).
	PerConnection  = 4 * MiB
	MinConnections = 50
	MaxConnections = 2000
	// BufferPoolPercent of the limit goes to the buffer pool where the
	// rest of the server fits beside it.
	BufferPoolPercent = 70
)

// Memory is how a server's memory limit is shared out.
type Memory struct {
	Limit int64
	// Headroom is the server's memory outside the buffer pool and the
	// connections: performance_schema, TempTable's in-memory temporary
	// tables (TempTableRAM, on MySQL 8), the log buffer, caches.
	Headroom int64
	// TempTableRAM caps TempTable's memory on MySQL 8 (temptable_max_ram,
	// 1 GiB by default, more than a small container has); 0 elsewhere.
	TempTableRAM int64
	BufferPool   int64
	// ByShare: the buffer pool is BufferPoolPercent of the limit (else
	// what the headroom and MinConnections leave, or spec.config's).
	ByShare     bool
	Connections int64
}

// serverBase is a server's headroom beside TempTable: MySQL 8 sizes its
// performance_schema at about 200 MiB for this many connections; 5.7's is
// smaller; MariaDB leaves performance_schema off.
func serverBase(dialect string) int64 {
	switch dialect {
	case DialectMySQL80, DialectMySQL84:
		return 320 * MiB
	case DialectMySQL57:
		return 256 * MiB
	}
	return 192 * MiB
}

// PlanMemory shares out a memory limit for a release; pool, when above
// zero, is a buffer pool set in spec.config. Below about 2 GiB a fixed
// share of 70% leaves too little for the rest of the server (MySQL 8's
// TempTable and performance_schema alone take a few hundred MiB), so the
// pool gets what is left after the headroom and MinConnections.
func PlanMemory(r Release, limit, pool int64) Memory {
	m := Memory{Limit: limit}
	if r.Dialect == DialectMySQL80 || r.Dialect == DialectMySQL84 {
		m.TempTableRAM = min(max(limit/16/MiB*MiB, 64*MiB), 1024*MiB)
	}
	m.Headroom = serverBase(r.Dialect) + m.TempTableRAM
	m.BufferPool = pool
	if pool <= 0 {
		byShare := limit * BufferPoolPercent / 100
		byRest := limit - m.Headroom - MinConnections*PerConnection
		m.ByShare = byShare <= byRest
		m.BufferPool = max(min(byShare, byRest)/BufferPoolChunk*BufferPoolChunk, BufferPoolChunk)
	}
	m.Connections = min(max((limit-m.BufferPool-m.Headroom)/PerConnection, MinConnections), MaxConnections)
	return m
}

// Fits reports whether the buffer pool, the headroom and MinConnections fit
// in the limit.
func (m Memory) Fits() bool {
	return m.BufferPool+m.Headroom+MinConnections*PerConnection <= m.Limit
}

// MinLimit is the smallest memory limit a release's server fits in with the
// smallest buffer pool.
func MinLimit(r Release) int64 {
	m := PlanMemory(r, 0, BufferPoolChunk) // TempTable at its floor
	return BufferPoolChunk + m.Headroom + MinConnections*PerConnection
}

// ParseOptionSize reads a size as the servers' option parser does
// (eval_num_suffix in mysys/my_getopt): digits and one optional suffix of
// K, M, G, T, P or E, in either case; a value quoted in my.cnf loses its
// quotes first.
func ParseOptionSize(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	shift := 0
	if v != "" {
		if i := strings.IndexByte("kmgtpe", toLower(v[len(v)-1])); i >= 0 {
			shift = 10 * (i + 1)
			v = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || (shift > 0 && n > (1<<62)>>shift) {
		return 0, false
	}
	return n << shift, true
}

func toLower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// ConfigValue returns the value spec.config gives a setting (by any
// spelling of its name the normalisation folds), if any.
func ConfigValue(config map[string]string, setting string) (string, bool) {
	for _, k := range sortedKeys(config) {
		if NormalizeConfigKey(k) == setting {
			return config[k], true
		}
	}
	return "", false
}

// MemoryLimit is the server container's memory limit in bytes, 0 when none
// is set or it does not parse (Validate reports that).
func MemoryLimit(s *ClusterSpec) int64 {
	q, err := resource.ParseQuantity(s.Resources.Limits["memory"])
	if err != nil {
		return 0
	}
	return q.Value()
}

// validateMemory refuses a memory limit the server cannot run in, and a
// buffer pool from spec.config that leaves the rest of the server too little.
func validateMemory(s *ClusterSpec, p *field.Path) field.ErrorList {
	r, known := LookupRelease(s.Flavor, s.Version)
	limit := MemoryLimit(s)
	value, set := ConfigValue(s.Config, "innodb_buffer_pool_size")
	var pool int64
	if set {
		var ok bool
		if pool, ok = ParseOptionSize(value); !ok {
			return field.ErrorList{field.Invalid(p.Child("config").Key(configKeyOf(s.Config, "innodb_buffer_pool_size")), value,
				"must be a size in bytes, or with a suffix K, M or G, such as 2G")}
		}
	}
	if !known || limit == 0 {
		return nil
	}
	m := PlanMemory(r, limit, pool)
	switch {
	case set && !m.Fits():
		return field.ErrorList{field.Invalid(p.Child("config").Key(configKeyOf(s.Config, "innodb_buffer_pool_size")), value,
			fmt.Sprintf("does not fit in the memory limit %s: %s %s needs %dM beside its buffer pool (%dM of other memory and %d connections at %dM); at most %dM is left for the buffer pool",
				s.Resources.Limits["memory"], s.Flavor, s.Version, (m.Headroom+MinConnections*PerConnection)/MiB,
				m.Headroom/MiB, MinConnections, PerConnection/MiB, max(limit-m.Headroom-MinConnections*PerConnection, 0)/MiB))}
	case !set && !m.Fits():
		return field.ErrorList{field.Invalid(p.Child("resources", "limits").Key("memory"), s.Resources.Limits["memory"],
			fmt.Sprintf("must be at least %dMi for %s %s: %dM of server memory, a %dM buffer pool and %d connections at %dM",
				MinLimit(r)/MiB, s.Flavor, s.Version, (MinLimit(r)-BufferPoolChunk-MinConnections*PerConnection)/MiB,
				BufferPoolChunk/MiB, MinConnections, PerConnection/MiB))}
	}
	return nil
}

// configKeyOf is the key spec.config spells a setting with.
func configKeyOf(config map[string]string, setting string) string {
	for _, k := range sortedKeys(config) {
		if NormalizeConfigKey(k) == setting {
			return k
		}
	}
	return setting
}
