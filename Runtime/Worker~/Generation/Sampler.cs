using System;

namespace SteerLM.Npc.Worker.Generation
{
    /// <summary>
    /// Picks the next token from one row of logits on the CPU: repetition penalty, then greedy or temperature,
    /// top-k and top-p, then a seeded draw. One sampler per stream of tokens (it holds that stream's random
    /// state); not thread-safe.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Reproducible: the random numbers come from the sampler's own xoshiro256** generator seeded through
    /// SplitMix64, and every step is plain scalar IEEE arithmetic in a fixed order (no SIMD sums, an exp of
    /// our own), so the same seed, settings and logits give the same tokens on every platform and runtime.
    /// </para>
    /// <para>
    /// Allocation-free after construction: scratch buffers the size of the vocabulary are reused. The vocabulary is
    /// never sorted: top-k keeps a k-entry heap while it scans the row once, and top-p alone finds its nucleus with
    /// a quickselect that adds up probability as it partitions (both O(V) expected; see Sampler.Selection.cs).
    /// </para>
    /// </remarks>
    public sealed partial class Sampler
    {
        private readonly float[] _scores;        // the row after penalty and temperature
        private readonly int[] _candidates;      // ids that may be drawn: top-k best first, or the nucleus
        private readonly double[] _weights;      // exp(score - max): per top-k candidate, or per id without top-k
        private readonly int[] _seenStamp;       // _seenStamp[id] == _stamp: id already penalised this step
        private readonly int[] _penaltyExempt;   // ids the repetition penalty never touches
        private int _stamp;
        private Xoshiro256StarStar _random;

        /// <summary>Creates a sampler for logits rows of <paramref name="vocabSize"/> values.</summary>
        /// <param name="vocabSize">The length of every logits row (the model's output width), &gt; 0.</param>
        /// <param name="settings">How to sample; <see cref="SamplingSettings.Seed"/> null picks a fresh seed, reported by <see cref="Seed"/>.</param>
        /// <param name="penaltyExemptTokens">
        /// Ids the repetition penalty leaves alone however often they occur: pass the end-of-turn tokens
        /// (<c>&lt;extra_id_1&gt;</c>, <c>&lt;/s&gt;</c>), which every SteerLM prompt holds, or the penalty makes lines run on.
        /// </param>
        public Sampler(int vocabSize, SamplingSettings settings, ReadOnlySpan<int> penaltyExemptTokens = default)
        {
            if (vocabSize <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "The vocabulary size must be > 0.");
            }

            ArgumentNullException.ThrowIfNull(settings);
            VocabSize = vocabSize;
            Settings = settings;
            Seed = settings.Seed ?? PickSeed();
            _random = new Xoshiro256StarStar(Seed);
            _scores = new float[vocabSize];
            _candidates = new int[vocabSize];
            _weights = new double[vocabSize];
            _seenStamp = new int[vocabSize];
            foreach (int id in penaltyExemptTokens)
            {
                if ((uint)id >= (uint)vocabSize)
                {
                    throw new ArgumentOutOfRangeException(nameof(penaltyExemptTokens), id, $"Token {id} is outside the vocabulary (0 to {vocabSize - 1}).");
                }
            }

            _penaltyExempt = penaltyExemptTokens.ToArray();
        }

        /// <summary>The length every logits row must have.</summary>
        public int VocabSize { get; }

        /// <summary>The settings this sampler applies.</summary>
        public SamplingSettings Settings { get; }

        /// <summary>The seed in use: <see cref="SamplingSettings.Seed"/>, or the one picked for it (log it to replay a line).</summary>
        public ulong Seed { get; }

        /// <summary>Starts the random sequence again from <see cref="Seed"/>.</summary>
        public void Reset()
        {
            _random = new Xoshiro256StarStar(Seed);
        }

        /// <summary>Picks the next token.</summary>
        /// <param name="logits">The model's output for the last position, <see cref="VocabSize"/> values; not modified. NaN counts as -infinity.</param>
        /// <param name="previousTokens">The sequence so far (prompt and generated tokens) for the repetition penalty; only the last <see cref="SamplingSettings.RepetitionWindow"/> are used.</param>
        /// <returns>A token id in [0, <see cref="VocabSize"/>).</returns>
        /// <exception cref="ArgumentException">The row has the wrong length or no finite value, or a previous token is outside the vocabulary.</exception>
        public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> previousTokens = default)
        {
            if (logits.Length != VocabSize)
            {
                throw new ArgumentException($"The logits row has {logits.Length} values; this sampler was made for {VocabSize}.", nameof(logits));
            }

            Span<float> scores = _scores;
            for (int i = 0; i < scores.Length; i++)
            {
                float value = logits[i];
                scores[i] = float.IsNaN(value) ? float.NegativeInfinity : value;
            }

            ApplyRepetitionPenalty(scores, previousTokens);

            if (Settings.IsGreedy)
            {
                return ArgMax(scores);
            }

            float temperature = Settings.Temperature;
            if (temperature != 1f)
            {
                for (int i = 0; i < scores.Length; i++)
                {
                    scores[i] /= temperature;
                }
            }

            bool cutTopK = Settings.TopK > 0 && Settings.TopK < VocabSize;
            bool cutTopP = Settings.TopP < 1f;
            if (cutTopK)
            {
                return SampleFromTopK(scores, Settings.TopK, cutTopP);
            }

            return cutTopP ? SampleFromNucleus(scores) : SampleFromAll(scores);
        }

        private void ApplyRepetitionPenalty(Span<float> scores, ReadOnlySpan<int> previousTokens)
        {
            float penalty = Settings.RepetitionPenalty;
            if (penalty == 1f || previousTokens.IsEmpty)
            {
                return;
            }

            int window = Settings.RepetitionWindow;
            if (window > 0 && previousTokens.Length > window)
            {
                previousTokens = previousTokens[^window..];
            }

            if (++_stamp == int.MaxValue)
            {
                Array.Clear(_seenStamp);
                _stamp = 1;
            }

            foreach (int id in _penaltyExempt)
            {
                _seenStamp[id] = _stamp; // as if already penalised this step
            }

            foreach (int id in previousTokens)
            {
                if ((uint)id >= (uint)VocabSize)
                {
                    throw new ArgumentException($"Previous token {id} is outside the vocabulary (0 to {VocabSize - 1}).", nameof(previousTokens));
                }

                // Each distinct token is penalised once, however often it occurs (as Hugging Face's gather/scatter does).
                if (_seenStamp[id] != _stamp)
                {
                    _seenStamp[id] = _stamp;
                    float value = scores[id];
                    scores[id] = value > 0f ? value / penalty : value * penalty;
                }
            }
        }

        // Lowest id wins a tie, so greedy output does not depend on anything but the values.
        private static int ArgMax(ReadOnlySpan<float> scores)
        {
            int best = -1;
            float bestValue = float.NegativeInfinity;
            for (int i = 0; i < scores.Length; i++)
            {
                if (scores[i] > bestValue)
                {
                    bestValue = scores[i];
                    best = i;
                }
            }

            return best >= 0 ? best : throw NoFiniteValue();
        }

        // No cut: draw from the softmax of the whole row: one pass for the maximum, one for the weights, one to draw.
        private int SampleFromAll(ReadOnlySpan<float> scores)
        {
            int best = ArgMax(scores);
            double max = scores[best];
            Span<double> weights = _weights;
            double total = 0;
            for (int i = 0; i < scores.Length; i++)
            {
                weights[i] = DeterministicExp(scores[i] - max);
                total += weights[i];
            }

            double target = _random.NextDouble() * total;
            double cumulative = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                cumulative += weights[i];
                if (cumulative > target && weights[i] > 0)
                {
                    return i;
                }
            }

            return best; // only reachable through rounding at the very top of the range
        }

        // Top-k, then top-p on what top-k kept (Hugging Face applies the warpers in that order).
        private int SampleFromTopK(ReadOnlySpan<float> scores, int topK, bool cutTopP)
        {
            int count = SelectTopK(scores, topK, _candidates);
            double max = scores[_candidates[0]];
            if (double.IsNegativeInfinity(max))
            {
                throw NoFiniteValue();
            }

            double mass = 0;
            for (int i = 0; i < count; i++)
            {
                _weights[i] = DeterministicExp(scores[_candidates[i]] - max);
                mass += _weights[i];
            }

            int kept = count;
            if (cutTopP)
            {
                // The smallest prefix (most likely first) whose probability reaches TopP.
                double threshold = Settings.TopP * mass;
                double cumulative = 0;
                kept = 0;
                while (kept < count && cumulative < threshold)
                {
                    cumulative += _weights[kept++];
                }

                mass = cumulative;
            }

            double target = _random.NextDouble() * mass;
            double sum = 0;
            for (int i = 0; i < kept; i++)
            {
                sum += _weights[i];
                if (sum > target && _weights[i] > 0)
                {
                    return _candidates[i];
                }
            }

            return _candidates[0];
        }

        // Top-p alone: weigh every id, then find the nucleus without sorting the row.
        private int SampleFromNucleus(ReadOnlySpan<float> scores)
        {
            double max = scores[ArgMax(scores)];
            Span<double> weights = _weights;
            double mass = 0;
            for (int i = 0; i < scores.Length; i++)
            {
                weights[i] = DeterministicExp(scores[i] - max);
                mass += weights[i];
            }

            int kept = SelectNucleus(scores, weights, Settings.TopP * mass, _candidates, out double keptMass);

            double target = _random.NextDouble() * keptMass;
            double sum = 0;
            for (int i = 0; i < kept; i++)
            {
                int id = _candidates[i];
                sum += weights[id];
                if (sum > target && weights[id] > 0)
                {
                    return id;
                }
            }

            return _candidates[0];
        }

        private static ArgumentException NoFiniteValue() =>
            new ArgumentException("The logits row holds no finite value (all NaN or -infinity); the model's output is broken.", "logits");
    }
}
