package config_test

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/damselfly-db/damselfly/internal/config"
)

func ExampleLoad() {
	// A server's main passes os.Args[1:] and os.Environ().
	cfg, err := config.Load([]string{"--port", "7000", "--maxmemory=1gb", "--cache_mode", "true"}, nil, os.Stdout, "dev")
	if errors.Is(err, config.ErrExit) {
		return // --help or --version was printed
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Port, cfg.MaxMemory.Get(), cfg.CacheMode.Get())
	// Output: 7000 1073741824 true
}

func ExampleConfig_Set() {
	cfg, _ := config.Load(nil, nil, io.Discard, "dev")
	cfg.OnChange("slowlog-max-len", func() { fmt.Println("slow log resized to", cfg.SlowlogMaxLen.Get()) })

	if err := cfg.Set([][2]string{{"slowlog-max-len", "64"}, {"hz", "20"}}); err != nil {
		fmt.Println(err)
	}
	if err := cfg.Set([][2]string{{"slowlog-max-len", "32"}, {"maxclients", "none"}}); err != nil {
		fmt.Println(err)
	}
	fmt.Println(cfg.Get("slowlog_max_len", "h?"))
	// Output:
	// slow log resized to 64
	// ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer
	// [[slowlog_max_len 64] [hz 20]]
}
