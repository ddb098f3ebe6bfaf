package command

import (
	"strings"

	"github.com/damselfly-db/damselfly/internal/acl"
	"github.com/damselfly-db/damselfly/internal/cmddocs"
)

// buildACLCatalog gives every command and subcommand an ACL id. Their
// categories (those COMMAND INFO reports: one source, specCategories)
// and what each does with its keys come from Redis's command metadata,
// which is only loaded when ACL rules first need it.
func (t *Table) buildACLCatalog() {
	t.ACL = acl.NewCatalog()
	var specs []*Spec
	for _, s := range t.All() {
		s.aclID = t.ACL.Add(s.fullName, 0, -1, s.Has(NoAuth))
		specs = append(specs, s)
		for _, sub := range s.Subcommands {
			sub.aclID = t.ACL.Add(sub.fullName, 0, s.aclID, sub.Has(NoAuth) || s.Has(NoAuth))
			specs = append(specs, sub)
		}
	}
	t.ACL.SetCategoryLoader(func(set func(id int, cats uint32)) {
		for _, s := range specs {
			set(s.aclID, catBits(specCategories(s, s.fullName)))
		}
	})
	t.aclSpecs = specs
}

// aclKeyPlans works out, once, what every command does with its keys.
func (t *Table) aclKeyPlans() {
	t.keyPlansOnce.Do(func() {
		for _, s := range t.aclSpecs {
			s.aclKeys = newKeyPlan(s, s.fullName)
		}
	})
}

func catBits(cats []string) uint32 {
	var m uint32
	for _, c := range cats {
		m |= acl.CategoryBit(c)
	}
	return m
}

// keyPlan maps a command's key positions to what it does with them, from
// Redis's key specifications: a key spec that starts at a fixed index and
// names one key gives that position its own permission; the other keys
// get the union of the remaining specs'.
type keyPlan struct {
	fixed []fixedKey
	rest  acl.Perm
	// setLike: SET, whose key is only written unless GET is given;
	// bitfieldLike: BITFIELD, only read when every operation is GET.
	setLike, bitfieldLike bool
}

type fixedKey struct {
	pos  int
	perm acl.Perm
}

func newKeyPlan(s *Spec, name string) keyPlan {
	var kp keyPlan
	switch name {
	case "set":
		kp.setLike = true
	case "bitfield":
		kp.bitfieldLike = true
	}
	ks, ok := cmddocs.KeySpecs(name)
	if !ok || len(ks.Elems) == 0 {
		kp.rest = acl.PermRead
		if s.Has(Write) {
			kp.rest |= acl.PermWrite
		}
		return kp
	}
	for i := range ks.Elems {
		spec := &ks.Elems[i]
		perm, notKey := keySpecPerm(spec)
		if notKey {
			continue
		}
		if pos, ok := singleIndex(spec); ok && len(ks.Elems) > 1 {
			kp.fixed = append(kp.fixed, fixedKey{pos: pos, perm: perm})
			continue
		}
		kp.rest |= perm
	}
	if kp.rest == 0 && len(kp.fixed) > 0 {
		// Every spec names one fixed key: any other position found by
		// KeysFn gets their union.
		for _, f := range kp.fixed {
			kp.rest |= f.perm
		}
	}
	return kp
}

// keySpecPerm turns key spec flags into ACL permissions: access reads,
// insert, delete and update write.
func keySpecPerm(spec *cmddocs.Node) (acl.Perm, bool) {
	flags, ok := spec.Get("flags")
	if !ok {
		return acl.PermAll, false
	}
	var p acl.Perm
	for _, f := range flags.Elems {
		switch strings.ToLower(f.Str) {
		case "access":
			p |= acl.PermRead
		case "insert", "delete", "update":
			p |= acl.PermWrite
		case "not_key":
			return 0, true
		}
	}
	return p, false
}

// singleIndex reports the position of a key spec that names exactly one
// key at a fixed index.
func singleIndex(spec *cmddocs.Node) (int, bool) {
	bs, ok := spec.Get("begin_search")
	if !ok {
		return 0, false
	}
	typ, _ := bs.Get("type")
	sp, _ := bs.Get("spec")
	if typ == nil || typ.Str != "index" || sp == nil {
		return 0, false
	}
	idx, ok := sp.Get("index")
	if !ok {
		return 0, false
	}
	fk, ok := spec.Get("find_keys")
	if !ok {
		return 0, false
	}
	ft, _ := fk.Get("type")
	fs, _ := fk.Get("spec")
	if ft == nil || ft.Str != "range" || fs == nil {
		return 0, false
	}
	last, ok := fs.Get("lastkey")
	if !ok || last.Int != 0 {
		return 0, false
	}
	return int(idx.Int), true
}

// perm returns what the command does with the key at pos.
func (kp *keyPlan) perm(pos int, args [][]byte) acl.Perm {
	switch {
	case kp.setLike:
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				return acl.PermAll
			}
		}
		return acl.PermWrite
	case kp.bitfieldLike:
		for _, a := range args[2:] {
			switch strings.ToLower(string(a)) {
			case "set", "incrby":
				return acl.PermAll
			}
		}
		return acl.PermRead
	}
	for _, f := range kp.fixed {
		if f.pos == pos {
			return f.perm
		}
	}
	return kp.rest
}
