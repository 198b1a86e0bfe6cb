package main

import (
	"strings"
	"time"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/anthropic"
	"github.com/picfre/picfre/provider/gemini"
	"github.com/picfre/picfre/provider/local"
	"github.com/picfre/picfre/provider/openai"
)

// keyVars are the environment variables each provider's key is read
// from, in the order they are tried when --provider is not given.
var keyVars = []struct {
	provider string
	vars     []string
}{
	{"openai", []string{"OPENAI_API_KEY"}},
	{"gemini", []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}},
	{"anthropic", []string{"ANTHROPIC_API_KEY"}},
}

func keyFor(name string, getenv func(string) string) string {
	for _, kv := range keyVars {
		if kv.provider != name {
			continue
		}
		for _, v := range kv.vars {
			if k := getenv(v); k != "" {
				return k
			}
		}
	}
	return ""
}

// attemptTimeout bounds one request to a model provider; retries come on
// top of it.
const attemptTimeout = 2 * time.Minute

// fallbackRateLimitWait is how long a provider of a --fallback chain may
// stay rate limited for one request before the next provider takes it.
const fallbackRateLimitWait = 2 * time.Minute

// newProvider builds the provider the flags and environment ask for,
// wrapped in the resilience layer (retries with the server's hints, rate
// pacing, a per-attempt timeout). With no --provider, the first provider
// with an API key in the environment is used, else the offline one.
//
// A rate limit is waited out for as long as the file's time allows
// (--file-timeout), never a reason to fail it; --rpm paces the first
// provider to a known limit. With --fallback, a provider rate limited for
// longer than fallbackRateLimitWait hands the request to the next one.
func newProvider(f tagFlags, getenv func(string) string) (provider.Provider, error) {
	if f.rpm < 0 {
		return nil, usagef("--rpm must not be negative (0: learn the limit from the provider)")
	}
	if len(f.fallback) > 0 {
		f.rateLimitWait = fallbackRateLimitWait
	}
	p, err := newOneProvider(f, getenv)
	if err != nil || len(f.fallback) == 0 {
		return p, err
	}
	chain := []provider.Provider{p}
	for _, spec := range f.fallback {
		name, base, _ := strings.Cut(spec, "=")
		if name == "local" {
			return nil, usagef("--fallback local: the offline provider answers differently in kind; use it as --provider")
		}
		// --rpm is the first provider's limit; the others learn theirs.
		fb, err := newOneProvider(tagFlags{provider: name, baseURL: base, rateLimitWait: fallbackRateLimitWait}, getenv)
		if err != nil {
			return nil, err
		}
		chain = append(chain, fb)
	}
	return provider.Fallback(chain...), nil
}

// newOneProvider builds one provider from the flags: --provider,
// --model, --base-url and the key from --api-key or the environment.
func newOneProvider(f tagFlags, getenv func(string) string) (provider.Provider, error) {
	name := f.provider
	if name == "" {
		name = "local"
		for _, kv := range keyVars {
			if keyFor(kv.provider, getenv) != "" {
				name = kv.provider
				break
			}
		}
	}
	key := f.apiKey
	if key == "" {
		key = keyFor(name, getenv)
	}
	var (
		p   provider.Provider
		err error
	)
	switch name {
	case "local":
		return local.New(local.Options{}), nil
	case "openai":
		p, err = openai.New(openai.Options{APIKey: key, BaseURL: f.baseURL, Model: f.model})
	case "ollama":
		base := f.baseURL
		if base == "" {
			base = openai.OllamaBaseURL
		}
		p, err = openai.New(openai.Options{Name: "ollama", APIKey: f.apiKey, BaseURL: base, Model: f.model})
	case "gemini":
		p, err = gemini.New(gemini.Options{APIKey: key, BaseURL: f.baseURL, Model: f.model})
	case "anthropic":
		p, err = anthropic.New(anthropic.Options{APIKey: key, BaseURL: f.baseURL, Model: f.model})
	default:
		return nil, usagef("unknown --provider %q (want local, openai, gemini, anthropic or ollama)", name)
	}
	if err != nil {
		return nil, usagef("provider %s: %v", name, err)
	}
	return provider.Resilient(p, provider.Options{
		Timeout:   attemptTimeout,
		Retry:     provider.RetryOptions{MaxRateLimitWait: f.rateLimitWait},
		RateLimit: provider.RateLimitOptions{RequestsPerMinute: f.rpm},
	}), nil
}
