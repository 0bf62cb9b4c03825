package record

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestScan(t *testing.T) {
	line := []byte(`{"a":1, "b" : "x\"y" ,"c":[1,{"d":"]"}],"e":null,"f":true,"g":-1.5e3,"h":{}}`)
	var got []string
	if err := Scan(line, func(k, v []byte) bool {
		got = append(got, fmt.Sprintf("%s=%s", k, v))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{`a=1`, `b="x\"y"`, `c=[1,{"d":"]"}]`, `e=null`, `f=true`, `g=-1.5e3`, `h={}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestScanErrors(t *testing.T) {
	for _, line := range []string{
		``, `[]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a":"x}`, `{"a":[1,2}`,
		`{"a":tru}`, `{"a":1} x`, `not json`, `{"a":1}}`, `{a:1}`,
	} {
		if err := Scan([]byte(line), func(k, v []byte) bool { return true }); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

func TestGetAndDecode(t *testing.T) {
	line := []byte(`{"argv":["a","b c","\u00e9\n"],"uid":1000,"s":"\u003cx\u003e","n":null}`)
	raw, ok, err := Get(line, "argv")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	args, err := Strings(raw)
	if err != nil || fmt.Sprintf("%q", args) != `["a" "b c" "é\n"]` {
		t.Errorf("Strings = %q, %v", args, err)
	}
	raw, _, _ = Get(line, "uid")
	if n, ok := Int(raw); !ok || n != 1000 {
		t.Errorf("Int = %d %v", n, ok)
	}
	raw, _, _ = Get(line, "s")
	if s, err := String(raw); err != nil || s != "<x>" {
		t.Errorf("String = %q %v", s, err)
	}
	raw, _, _ = Get(line, "n")
	if _, ok := Int(raw); ok {
		t.Error("Int(null) ok")
	}
	if _, ok, _ := Get(line, "missing"); ok {
		t.Error("missing key found")
	}
}

// FuzzScan: Scan accepts what encoding/json accepts as an object, never panics, and finds the same keys.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":[1,{"b":"}"}],"c":"\\\""}`, `{}`, `{"a":"\u0000"}`, `[1]`, `{"a":1,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var keys []string
		err := Scan(b, func(k, v []byte) bool { keys = append(keys, string(k)); return true })
		var m map[string]json.RawMessage
		jerr := json.Unmarshal(b, &m)
		if jerr == nil && m != nil && err != nil {
			t.Fatalf("Scan rejects valid %q: %v", b, err)
		}
		if err == nil && jerr == nil && m != nil {
			for _, k := range keys {
				var uk string
				if json.Unmarshal([]byte(`"`+k+`"`), &uk) == nil {
					if _, ok := m[uk]; !ok {
						t.Fatalf("Scan found key %q not in %q", k, b)
					}
				}
			}
		}
	})
}
