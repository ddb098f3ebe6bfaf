package config

import "testing"

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "maxmemory", true},
		{"max*", "maxmemory", true},
		{"MAX*", "maxmemory", true},
		{"*memory", "maxmemory", true},
		{"*mem*", "maxmemory", true},
		{"*mem*policy", "maxmemory-policy", true},
		{"**y", "maxmemory", true},
		{"max", "maxmemory", false},
		{"h?", "hz", true},
		{"h?", "h", false},
		{"h??", "hz", false},
		{"[hp]z", "hz", true},
		{"[^p]z", "hz", true},
		{"[^h]z", "hz", false},
		{"[a-i]z", "hz", true},
		{"[i-a]z", "hz", true},
		{"[A-I]z", "hz", true},
		{"[x-z]z", "hz", false},
		{"[hp][zo]*", "port", true},
		{"[]hz", "hz", false},
		{`\h\z`, "hz", true},
		{`h\*`, "h*", true},
		{`h\*`, "hz", false},
		{`[\]]`, "]", true},
		{"[h", "h", true},
		{"h\\", "h\\", true},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
