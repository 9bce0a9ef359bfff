using System;
using System.Globalization;

namespace SteerLM.Npc.Worker.Generation
{
    /// <summary>
    /// How the next token is picked from the model's logits. Immutable: change it with the <c>With...</c> methods,
    /// which validate and return a new instance. Applied in Hugging Face's order: repetition penalty, temperature,
    /// top-k, top-p, then a draw from what is left.
    /// </summary>
    public sealed record SamplingSettings
    {
        /// <summary>Defaults for NPC lines: some variety, no rambling.</summary>
        public static SamplingSettings Default { get; } = new SamplingSettings();

        /// <summary>Always the most likely token (temperature 0): reproducible output for tests and golden files.</summary>
        public static SamplingSettings Greedy { get; } = new SamplingSettings(temperature: 0f);

        /// <summary>Creates settings; every argument is validated as by its <c>With...</c> method.</summary>
        /// <param name="temperature">Divides the logits; 0 picks the most likely token (greedy). Finite, &gt;= 0.</param>
        /// <param name="topK">Keep only the k most likely tokens; 0 keeps all. &gt;= 0.</param>
        /// <param name="topP">Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all. In (0, 1].</param>
        /// <param name="repetitionPenalty">CTRL's penalty on tokens already in the sequence; 1 is none. Finite, &gt; 0.</param>
        /// <param name="repetitionWindow">How many of the latest tokens the penalty looks at; 0 is all it is given. &gt;= 0.</param>
        /// <param name="seed">Seed for the sampler's random numbers; null lets each sampler pick one (and report it).</param>
        public SamplingSettings(
            float temperature = 0.7f,
            int topK = 40,
            float topP = 0.9f,
            float repetitionPenalty = 1.1f,
            int repetitionWindow = 64,
            ulong? seed = null)
        {
            Temperature = CheckTemperature(temperature);
            TopK = CheckTopK(topK);
            TopP = CheckTopP(topP);
            RepetitionPenalty = CheckRepetitionPenalty(repetitionPenalty);
            RepetitionWindow = CheckRepetitionWindow(repetitionWindow);
            Seed = seed;
        }

        /// <summary>Divides the logits before the softmax: below 1 sharper, above 1 flatter; 0 means greedy. Default 0.7.</summary>
        public float Temperature { get; }

        /// <summary>Only the <c>TopK</c> most likely tokens can be drawn; 0 turns the cut off. Default 40.</summary>
        public int TopK { get; }

        /// <summary>Only the smallest set of most likely tokens whose probability adds up to <c>TopP</c> can be drawn; 1 turns the cut off. Default 0.9.</summary>
        public float TopP { get; }

        /// <summary>
        /// Tokens already in the sequence have a positive logit divided by this and a negative one multiplied by it
        /// (CTRL, as Hugging Face does it); 1 turns it off. Default 1.1.
        /// </summary>
        public float RepetitionPenalty { get; }

        /// <summary>How many of the most recent tokens the repetition penalty looks at; 0 means every token given. Default 64.</summary>
        public int RepetitionWindow { get; }

        /// <summary>Seed for the random draws: the same seed, settings and logits give the same tokens on every platform. Null: each sampler picks one.</summary>
        public ulong? Seed { get; }

        /// <summary>True when <see cref="Temperature"/> is 0: the sampler takes the most likely token and draws no random number.</summary>
        public bool IsGreedy => Temperature == 0f;

        /// <summary>Returns a copy with <see cref="Temperature"/> set.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Not finite, or below 0.</exception>
        public SamplingSettings WithTemperature(float temperature) =>
            new SamplingSettings(temperature, TopK, TopP, RepetitionPenalty, RepetitionWindow, Seed);

        /// <summary>Returns a copy with <see cref="TopK"/> set.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Below 0.</exception>
        public SamplingSettings WithTopK(int topK) =>
            new SamplingSettings(Temperature, topK, TopP, RepetitionPenalty, RepetitionWindow, Seed);

        /// <summary>Returns a copy with <see cref="TopP"/> set.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Not in (0, 1].</exception>
        public SamplingSettings WithTopP(float topP) =>
            new SamplingSettings(Temperature, TopK, topP, RepetitionPenalty, RepetitionWindow, Seed);

        /// <summary>Returns a copy with <see cref="RepetitionPenalty"/> set.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Not finite, or not above 0.</exception>
        public SamplingSettings WithRepetitionPenalty(float repetitionPenalty) =>
            new SamplingSettings(Temperature, TopK, TopP, repetitionPenalty, RepetitionWindow, Seed);

        /// <summary>Returns a copy with <see cref="RepetitionWindow"/> set.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Below 0.</exception>
        public SamplingSettings WithRepetitionWindow(int repetitionWindow) =>
            new SamplingSettings(Temperature, TopK, TopP, RepetitionPenalty, repetitionWindow, Seed);

        /// <summary>Returns a copy with <see cref="Seed"/> set (null: each sampler picks one).</summary>
        public SamplingSettings WithSeed(ulong? seed) =>
            new SamplingSettings(Temperature, TopK, TopP, RepetitionPenalty, RepetitionWindow, seed);

        private static float CheckTemperature(float value) =>
            float.IsFinite(value) && value >= 0f ? value : throw OutOfRange(nameof(Temperature), "temperature", value, "a finite number >= 0 (0 = greedy)");

        private static int CheckTopK(int value) =>
            value >= 0 ? value : throw OutOfRange(nameof(TopK), "topK", value, "an integer >= 0 (0 = no top-k cut)");

        private static float CheckTopP(float value) =>
            value > 0f && value <= 1f ? value : throw OutOfRange(nameof(TopP), "topP", value, "a number in (0, 1] (1 = no top-p cut)");

        private static float CheckRepetitionPenalty(float value) =>
            float.IsFinite(value) && value > 0f ? value : throw OutOfRange(nameof(RepetitionPenalty), "repetitionPenalty", value, "a finite number > 0 (1 = no penalty)");

        private static int CheckRepetitionWindow(int value) =>
            value >= 0 ? value : throw OutOfRange(nameof(RepetitionWindow), "repetitionWindow", value, "an integer >= 0 (0 = every token given)");

        private static ArgumentOutOfRangeException OutOfRange(string property, string parameter, object value, string allowed) =>
            new ArgumentOutOfRangeException(
                parameter,
                value,
                string.Create(CultureInfo.InvariantCulture, $"SamplingSettings.{property} is {value}; it must be {allowed}."));
    }
}
