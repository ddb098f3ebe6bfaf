// Package acl implements Redis's access control lists: users, their
// passwords (kept as SHA-256 digests), and the selectors that say which
// commands, keys and pub/sub channels a user may touch. The rule language
// (ACL SETUSER), the way rules are described back (ACL LIST, ACL GETUSER,
// the ACL file) and the permission check follow redis-server 7.0.
//
// The package knows commands only through a Catalog of ids and categories
// that the command table builds, so it imports nothing of the server.
// Allowed commands are a bitmap indexed by command id, so the check at
// dispatch is a bit test; a user allowed everything (the default user)
// is recognised by one flag and checked no further.
package acl
