package resp

import "testing"

func TestValidate(t *testing.T) {
	good := []string{"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n+a\r\n#t\r\n", "~0\r\n", ",1.5\r\n", ",inf\r\n", "_\r\n",
		"=7\r\ntxt:abc\r\n", "(123\r\n", ">2\r\n+message\r\n$1\r\nx\r\n"}
	for _, s := range good {
		if n, err := Validate([]byte(s)); err != nil || n != len(s) {
			t.Errorf("Validate(%q) = %d, %v", s, n, err)
		}
	}
	bad := []string{"", "+OK\n", "$3\r\nab\r\n", "*2\r\n:1\r\n", "?\r\n", ":x\r\n", "$-2\r\n", "#x\r\n", "=2\r\nab\r\n", "+a\rb\r\n"}
	for _, s := range bad {
		if _, err := Validate([]byte(s)); err == nil {
			t.Errorf("Validate(%q) accepted", s)
		}
	}
}
