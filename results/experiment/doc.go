// Package experiment compares the arms of a campaign (the agents, prompts or voices a list is
// split between) on one rate, the goal rate, in a way that stays valid however often it is
// read: per arm, the rows dialled, the people reached, the goal rate with its 95% Wilson
// interval and the cost per goal; between arms, a mixture sequential probability ratio test
// (mSPRT) on the difference of two proportions, after Johari, Pekelis & Walsh, "Always Valid
// Inference: Continuous Monitoring of A/B Tests", Operations Research 70(3), 2022 (first
// circulated as "Peeking at A/B tests", KDD 2017); and a planner of the rows each arm needs.
//
// # The test
//
// For two arms A and B with x successes of n finished rows each, the difference of the rates
// d = x_A/n_A − x_B/n_B is taken as normal with variance
//
//	V = p̃_A(1−p̃_A)/n_A + p̃_B(1−p̃_B)/n_B,  p̃ = (x+1)/(n+2)
//
// (the rates shrunk one success and one failure towards ½, Agresti and Caffo's adjustment, so
// that V is never 0 on a run of all successes or all failures). The likelihood ratio of
// "the difference is θ, θ drawn from a normal N(θ₀, τ²)" against "the difference is θ₀" is
//
//	Λ(θ₀) = sqrt(V/(V+τ²)) · exp(τ²(d−θ₀)² / (2V(V+τ²)))
//
// Under θ₀ the running Λ is (for normal data exactly, for rates approximately) a non-negative
// martingale of mean 1, so by Ville's inequality the chance that it ever reaches 1/α is at most
// α: the always-valid p-value 1/Λ(0) may be read after every call and the campaign stopped the
// first time it falls under α, with a false positive rate of at most α. The set of θ₀ whose
// Λ(θ₀) stays under 1/α is the confidence sequence of the difference,
//
//	d ± sqrt(2V(V+τ²)/τ² · (log(1/α) + ½·log((V+τ²)/V)))
//
// which holds the true difference at every read at once with chance 1−α; "no difference larger
// than X is likely" is read from it. τ is the scale of the differences the test is tuned to
// find (default 0.1, ten points of the rate); it moves power between early and late, never the
// error rate. A read needs every arm to be expected to have [MinExpected] successes and
// failures at the arms' pooled rate, as the fixed two-proportion test does; before that the
// verdict is "too early to tell".
//
// # More than two arms
//
// The arm with the highest rate (the leader) is compared with each other arm. The leader is
// picked from the data, so every pair could have been the one compared: each pair's test is
// run at α/m with m = k(k−1)/2 pairs of k arms (Bonferroni), its p-value multiplied by m, and
// its confidence sequence at level 1−α/m. An arm the leader is ahead of at that level is a
// loser ([Result.Losers]): the runner may stop placing its calls.
//
// # For a runner
//
// [Assign] gives a row its arm from the campaign's id and the row's key, by weights, stably
// (reruns, retries and shards agree); [AssignActive] the same once arms have stopped, spreading
// a stopped arm's rows over the others at random. A [Monitor] is read with every arm's counts
// ([Arm]) after each finished call; its [Result] says the state, the words, and the losers to
// stop. [PlanRows] says how many rows each arm needs.
package experiment
