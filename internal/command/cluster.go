package command

// registerCluster adds CLUSTER as a Redis server without cluster support
// answers it: every subcommand exists, with Redis's arity and flags (so
// COMMAND, ACL rules and scripts see the same thing), and replies that
// cluster support is disabled. Damselfly scales on one node instead.
func registerCluster(t *Table) {
	const disabled = "ERR This instance has cluster support disabled"
	reply := func(c *Ctx) { c.Err(disabled) }
	const adm = Admin | Stale
	subs := []struct {
		name  string
		arity int
		flags Flag
	}{
		{"addslots", -3, adm}, {"addslotsrange", -4, adm}, {"bumpepoch", 2, adm},
		{"count-failure-reports", 3, adm}, {"countkeysinslot", 3, Stale}, {"delslots", -3, adm},
		{"delslotsrange", -4, adm}, {"failover", -2, adm}, {"flushslots", 2, adm},
		{"forget", 3, adm}, {"getkeysinslot", 4, Stale}, {"help", 2, Loading | Stale},
		{"info", 2, Stale}, {"keyslot", 3, Stale}, {"links", 2, Stale}, {"meet", -4, adm},
		{"myid", 2, Stale}, {"nodes", 2, Stale}, {"replicas", 3, adm}, {"replicate", 3, adm},
		{"reset", -2, adm | NoScript}, {"saveconfig", 2, adm}, {"set-config-epoch", 3, adm},
		{"setslot", -4, adm}, {"shards", 2, Stale}, {"slaves", 3, adm}, {"slots", 2, Stale},
	}
	c := &Spec{Name: "cluster", Arity: -2, Flags: NoLock, Group: "cluster", Since: "3.0.0",
		Summary: "A container for Redis Cluster commands; cluster support is disabled here.", Handler: runSub}
	for _, s := range subs {
		c.Subcommands = append(c.Subcommands, &Spec{Name: s.name, Arity: s.arity, Flags: s.flags | NoLock,
			Handler: reply, Group: "cluster", Since: "3.0.0", Summary: "Cluster support is disabled: replies with an error."})
	}
	t.add(c)
}
