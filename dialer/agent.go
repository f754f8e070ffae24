package dialer

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Agent is what a campaign reads of an agent (GET /v2/agent/{id}). Bolna returns the whole
// agent as one document whose shape varies by provider and task, so it is read as Bolna's own
// CLI reads it: defensively, from a generic map.
type Agent struct {
	ID             string
	Name           string
	WelcomeMessage string
	SystemPrompt   string // task_1's, else the first task with one
	WebhookURL     string // agent_config.webhook_url, else the top level's
}

// Agent reads an agent (GET /v2/agent/{id}). It never changes it.
func (c *Client) Agent(ctx context.Context, id string, opts ...RequestOption) (*Agent, error) {
	var raw map[string]any
	path := "/v2/agent/" + url.PathEscape(id)
	if err := c.do(ctx, request{method: http.MethodGet, path: path, class: classList, retry: retryAll, send: sendOptionsOf(opts)}, &raw); err != nil {
		return nil, err
	}
	a := &Agent{ID: text(raw["id"]), Name: text(raw["agent_name"]), WelcomeMessage: text(raw["agent_welcome_message"])}
	cfg, _ := raw["agent_config"].(map[string]any)
	a.WebhookURL = text(cfg["webhook_url"])
	if a.WebhookURL == "" {
		a.WebhookURL = text(raw["webhook_url"])
	}
	if a.Name == "" {
		a.Name = text(cfg["agent_name"])
	}
	if a.WelcomeMessage == "" {
		a.WelcomeMessage = text(cfg["agent_welcome_message"])
	}
	prompts, _ := raw["agent_prompts"].(map[string]any)
	if t, ok := prompts["task_1"].(map[string]any); ok {
		a.SystemPrompt = text(t["system_prompt"])
	}
	if a.SystemPrompt == "" {
		keys := make([]string, 0, len(prompts))
		for k := range prompts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if t, ok := prompts[k].(map[string]any); ok && text(t["system_prompt"]) != "" {
				a.SystemPrompt = text(t["system_prompt"])
				break
			}
		}
	}
	if a.ID == "" {
		a.ID = id
	}
	a.ID, a.Name, a.WebhookURL = Printable(a.ID), Printable(a.Name), Printable(a.WebhookURL) // printed by check and run
	return a, nil
}

// Variables are the {placeholders} of the agent's system prompt and welcome message, which a
// call's user_data fills (Bolna speaks an unfilled one literally), less those Bolna fills
// itself; sorted, each once. One pass over each text, no allocation per placeholder: a hostile
// prompt of hundreds of thousands of them costs no more than reading it.
func (a *Agent) Variables() []string {
	var out []string
	seen := map[string]bool{}
	for _, text := range [...]string{a.SystemPrompt, a.WelcomeMessage} {
		for name := range placeholders(text) {
			if !systemVariables[name] && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// placeholders yields the names of the {name} placeholders of s in order (a name is a letter
// or underscore, then letters, digits and underscores), as substrings of s.
func placeholders(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(s); i++ {
			if s[i] != '{' {
				continue
			}
			j := i + 1
			for j < len(s) && (isNameStart(s[j]) || j > i+1 && '0' <= s[j] && s[j] <= '9') {
				j++
			}
			if j > i+1 && j < len(s) && s[j] == '}' && !yield(s[i+1:j]) {
				return
			}
			i = j - 1 // s[j] may open the next placeholder
		}
	}
}

func isNameStart(b byte) bool { return b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// systemVariables are filled by Bolna itself (docs/bolna-api.md §11).
var systemVariables = map[string]bool{
	"agent_id": true, "execution_id": true, "call_sid": true, "from_number": true, "to_number": true,
	"current_date": true, "current_time": true, "timezone": true,
}

func text(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Complete reports whether a payload holds everything its status promises, so that nothing
// needs reading by id: a whole execution (with the agent and the context it was placed with,
// not a list's trimmed item) and, once completed, the recording that post-processing adds.
func (e *Execution) Complete() bool {
	if e.AgentID == "" || e.ContextDetails.RecipientPhoneNumber == "" || len(e.Dropped) > 0 {
		return false // a list item with fields left out: a read by id may keep more
	}
	return e.Status != StatusCompleted || e.TelephonyData.RecordingURL != ""
}
