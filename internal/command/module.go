package command

// Damselfly loads no modules: MODULE answers as a Redis with none loaded,
// and every load fails the way a failed load fails in Redis (the reason is
// in the server log).

func registerModule(t *Table) {
	sub := func(name string, arity int, h func(*Ctx), summary string) *Spec {
		return &Spec{Name: name, Arity: arity, Flags: Admin | NoScript, Summary: summary, Handler: h}
	}
	t.add(&Spec{Name: "module", Arity: -2, Flags: NoLock, Group: "server", Since: "4.0.0", Summary: "A container for module commands.",
		Subcommands: []*Spec{
			sub("list", 2, func(c *Ctx) { c.W.Array(0) }, "Returns all loaded modules."),
			sub("load", -3, moduleLoad, "Loads a module."),
			sub("loadex", -3, moduleLoad, "Loads a module using extended parameters."),
			sub("unload", 3, func(c *Ctx) {
				c.Err("ERR Error unloading module: no such module with that name")
			}, "Unloads a module."),
			helpFlags(sub("help", 2, func(c *Ctx) {
				lines := []string{
					"MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
					"LIST", "    Return a list of loaded modules.",
					"LOAD <path> [<arg> ...]", "    Load a module library from <path>, passing to it any optional arguments.",
					"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]", "    Load a module library from <path>, while passing it module configurations and optional arguments.",
					"UNLOAD <name>", "    Unload a module.",
					"HELP", "    Print this help.",
				}
				c.W.Array(len(lines))
				for _, l := range lines {
					c.W.Simple(l)
				}
			}, "Returns helpful text about the different subcommands.")),
		},
		Handler: func(c *Ctx) { runSub(c) }})
}

func moduleLoad(c *Ctx) {
	c.Env.Log.Warn("module load refused: Damselfly does not support Redis modules", "path", string(c.Args[2]))
	c.Err("ERR Error loading the extension. Please check the server logs.")
}

// helpFlags gives MODULE HELP Redis's flags: unlike the other MODULE
// subcommands it is not admin.
func helpFlags(s *Spec) *Spec {
	s.Flags = Loading | Stale
	return s
}
