package script

import (
	"testing"

	"github.com/damselfly-db/damselfly/internal/resp"
)

func TestCRC64(t *testing.T) {
	// Redis's crc64 test vector.
	if got := crc64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
}

func TestFunctionDumpRestore(t *testing.T) {
	e := NewEngine(nil, "7.4.0", 0x070400)
	for _, code := range []string{
		"#!lua name=a\nredis.register_function('fa', function() return 'a' end)",
		"#!lua name=b\nredis.register_function{function_name='fb', callback=function() return 'b' end, flags={'no-writes'}}",
	} {
		if _, err := e.LoadLibrary(code, false); err != nil {
			t.Fatal(err)
		}
	}
	payload := e.DumpFunctions()
	if err := e.RestoreFunctions(payload, RestoreAppend); err == nil || err.Error() != "ERR Library a already exists" {
		t.Fatalf("append over existing libraries: %v", err)
	}
	e.FlushFunctions()
	if err := e.RestoreFunctions(payload, RestoreAppend); err != nil {
		t.Fatal(err)
	}
	libs := e.Libraries()
	if len(libs) != 2 || libs[0].Name != "a" || libs[1].Name != "b" {
		t.Fatalf("libraries after restore: %+v", libs)
	}
	f := e.Function("FB")
	if f == nil || f.Flags != FlagNoWrites {
		t.Fatalf("function fb: %+v", f)
	}
	w := &resp.Writer{Proto: 2}
	e.CallFunction(f, &Run{Caller: &fakeCaller{}, W: w})
	if string(w.Buf) != "$1\r\nb\r\n" {
		t.Fatalf("FCALL fb: %q", w.Buf)
	}
	// A corrupted payload is refused.
	bad := append([]byte(nil), payload...)
	bad[3] ^= 1
	if err := e.RestoreFunctions(bad, RestoreFlush); err == nil {
		t.Fatal("corrupted payload accepted")
	}
	if err := e.RestoreFunctions(payload, RestoreReplace); err != nil {
		t.Fatal(err)
	}
}

func TestLZF(t *testing.T) {
	// "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" as Redis's LZF
	// writes it: a literal 'a', then a back reference of 49 bytes.
	in := []byte{0x00, 'a', 0xe0, 0x28, 0x00}
	out, ok := lzfDecompress(in, 50)
	if !ok || string(out) != "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Fatalf("lzf: %q %v", out, ok)
	}
}
