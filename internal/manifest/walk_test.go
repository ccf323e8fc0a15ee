package manifest

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"
)

// viaEncodingJSON is the tree through encoding/json and the decoder, less
// the empty structs an omitempty or omitzero leaves out (which encoding/json
// cannot do): what the walker must give, error for error.
func viaEncodingJSON(obj any) (Map, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	v, err := newDecoder().decodeJSON(bytes.NewBuffer(raw))
	if err != nil {
		return nil, err
	}
	return withoutOmittedStructs(reflect.ValueOf(obj), v).(Map).without("status"), nil
}

// withoutOmittedStructs removes from x, the tree of v, every empty mapping
// of a struct-typed field tagged omitempty or omitzero.
func withoutOmittedStructs(v reflect.Value, x any) any {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() || v.Type().Implements(marshalerType) || reflect.PointerTo(v.Type()).Implements(marshalerType) ||
		v.Type().Implements(textMarshalerType) || reflect.PointerTo(v.Type()).Implements(textMarshalerType) {
		return x
	}
	switch v.Kind() {
	case reflect.Struct:
		m, ok := x.(Map)
		if !ok {
			return x
		}
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if sf.Anonymous && name == "" {
				m, _ = withoutOmittedStructs(v.Field(i), m).(Map)
				continue
			}
			if !sf.IsExported() || name == "" || name == "-" {
				continue
			}
			for j, p := range m {
				if p.Key != name {
					continue
				}
				m[j].Value = withoutOmittedStructs(v.Field(i), p.Value)
				if cm, ok := m[j].Value.(Map); ok && len(cm) == 0 && sf.Type.Kind() == reflect.Struct &&
					(strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")) {
					m = slices.Delete(m, j, j+1)
				}
				break
			}
		}
		return m
	case reflect.Slice, reflect.Array:
		l, ok := x.([]any)
		if !ok || len(l) != v.Len() {
			return x
		}
		for i := range l {
			l[i] = withoutOmittedStructs(v.Index(i), l[i])
		}
	case reflect.Map:
		m, ok := x.(Map)
		if !ok || v.Type().Key().Kind() != reflect.String {
			return x
		}
		for j, p := range m {
			m[j].Value = withoutOmittedStructs(v.MapIndex(reflect.ValueOf(p.Key).Convert(v.Type().Key())), p.Value)
		}
	}
	return x
}

func checkWalk(t *testing.T, d *decoder, name string, obj any) {
	t.Helper()
	want, wantErr := viaEncodingJSON(obj)
	got, gotErr := d.fromObject(obj)
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("%s: encoding/json error %v, walker error %v", name, wantErr, gotErr)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Pair{})); diff != "" {
		t.Fatalf("%s: the walker differs from encoding/json (-json +walker):\n%s", name, diff)
	}
}

func TestWalkerMatchesEncodingJSON(t *testing.T) {
	d := newDecoder() // one for all: what it remembers must not mix objects up
	for name, objs := range matrix(t) {
		for _, o := range objs {
			checkWalk(t, d, name+"/"+o.GetName(), o)
		}
	}
}

// Randomly filled API objects reach fields the rendered ones leave unset:
// every volume source, probe handler, quantity, int-or-string.
func TestWalkerMatchesEncodingJSONOnRandomObjects(t *testing.T) {
	d := newDecoder()
	f := randfill.NewWithSeed(7).NilChance(0.3).NumElements(0, 2).MaxDepth(12).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(c.Int63n(1<<40), resource.DecimalSI)
		},
		func(x *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*x = intstr.FromInt32(c.Int31())
			} else {
				*x = intstr.FromString(c.String(8))
			}
		},
		func(tm *metav1.Time, c randfill.Continue) {
			if c.Bool() {
				*tm = metav1.NewTime(time.Unix(c.Int63n(1<<33), 0).UTC())
			}
		},
	)
	for i := range 30 {
		objs := []any{&appsv1.StatefulSet{}, &corev1.Service{}, &corev1.ConfigMap{}, &corev1.Secret{}, &policyv1.PodDisruptionBudget{}, &networkingv1.NetworkPolicy{}, &corev1.Pod{}}
		for _, o := range objs {
			f.Fill(o)
			checkWalk(t, d, "random", o)
		}
		_ = i
	}
}

type zeroByPointer struct{ N int }

func (z *zeroByPointer) IsZero() bool { return z.N == 7 }

type textKey int

func (k textKey) MarshalText() ([]byte, error) { return []byte{'k', byte('0' + k)}, nil }

type Inner struct {
	A string `json:"a"`
	B int    `json:"b,omitempty"`
}

type clash struct {
	Inner
	A string `json:"a"`
}

type hidden struct{ inner }

type inner struct{ Inner }

type odd struct {
	*Inner
	Exported   Inner             `json:",omitempty"`
	F32        float32           `json:"f32"`
	F64        float64           `json:"f64"`
	Big        uint64            `json:"big"`
	Neg        int64             `json:"neg"`
	Bytes      []byte            `json:"bytes"`
	Array      [2]byte           `json:"array"`
	IntKeys    map[int]string    `json:"intKeys"`
	TextKeys   map[textKey]int   `json:"textKeys"`
	Invalid    string            `json:"invalid"`
	InvalidKey map[string]string `json:"invalidKey"`
	Zero       zeroByPointer     `json:"zero,omitzero"`
	NotZero    zeroByPointer     `json:"notZero,omitzero"`
	Any        any               `json:"any"`
	Skipped    string            `json:"-"`
	//lint:ignore SA5008 deliberate: the walker must read odd tags as encoding/json does
	Dash     string `json:"-,"`
	Untagged string
	//lint:ignore SA5008 deliberate: an invalid name falls back to the field's
	Bad        string `json:"bad\\name"`
	Clash      *clash `json:"clash"`
	unexported string
}

func TestWalkerMatchesEncodingJSONOnOddTypes(t *testing.T) {
	d := newDecoder()
	o := &odd{
		Inner: &Inner{A: "promoted"}, F32: 0.1, F64: 1.5, Big: math.MaxUint64, Neg: -1 << 60,
		Bytes: []byte("hi\x00"), Array: [2]byte{1, 2}, IntKeys: map[int]string{3: "x", -1: "y"},
		TextKeys: map[textKey]int{1: 1, 2: 2}, Invalid: "a\xffb", InvalidKey: map[string]string{"k\xfe": "v"},
		Zero: zeroByPointer{7}, NotZero: zeroByPointer{1}, Any: map[string]any{"n": 1, "l": []any{nil, 2.5}},
		Skipped: "no", Dash: "dash", Untagged: "u", Bad: "b", Clash: &clash{Inner: Inner{A: "deep"}, A: "shallow"},
		unexported: "no",
	}
	if d.info(reflect.TypeFor[odd]()).viaJSON {
		t.Fatal("odd is left to encoding/json: the test would prove nothing")
	}
	checkWalk(t, d, "odd", o)
	checkWalk(t, d, "an unexported embedded struct", &hidden{inner{Inner{A: "x", B: 2}}})
	checkWalk(t, d, "a string option", &struct {
		N int `json:"n,string"`
	}{5})
	checkWalk(t, d, "odd by value", *o)
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}, "status": map[string]any{"a": 1}}}
	checkWalk(t, d, "unstructured", u)
	if _, err := d.fromObject(&struct {
		F float64 `json:"f"`
	}{math.NaN()}); err == nil {
		t.Error("NaN: no error; encoding/json refuses it")
	}
}
