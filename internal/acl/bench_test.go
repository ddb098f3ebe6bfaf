package acl

import "testing"

// BenchmarkCheck measures the permission check at dispatch: the default
// user stops at its Unrestricted flag; a restricted user tests a bit and
// matches its key patterns.
func BenchmarkCheck(b *testing.B) {
	cat := testCatalog()
	us := NewUsers(cat)
	get, _ := cat.Lookup("get")
	r := &Request{ID: get, Keys: []KeyRef{{[]byte("app:user:1234"), PermRead}}}
	b.Run("default", func(b *testing.B) {
		u := us.Default().Load()
		for i := 0; i < b.N; i++ {
			if !u.Unrestricted() {
				u.Check(r)
			}
		}
	})
	b.Run("restricted", func(b *testing.B) {
		h, _, err := us.SetUser("app", []string{"on", "~cache:*", "%R~app:*", "+@read"})
		if err != nil {
			b.Fatal(err)
		}
		u := h.Load()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if d, _ := u.Check(r); d != Allowed {
				b.Fatal(d)
			}
		}
	})
}
