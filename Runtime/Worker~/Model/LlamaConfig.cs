using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>
    /// The shape of a Llama model, read from and written to a Hugging Face <c>config.json</c>
    /// (<c>LlamaForCausalLM</c>), plus our optional <c>"steerlm"</c> block for the attribute
    /// prediction (APM) head. Immutable: change it with <c>with { ... }</c> or the <c>With...</c> helpers.
    /// Defaults are Hugging Face's <c>LlamaConfig</c> defaults, so a config.json that leaves a field out
    /// means what it means in transformers.
    /// </summary>
    public sealed record LlamaConfig
    {
        /// <summary>The only architecture this loader builds.</summary>
        public const string Architecture = "LlamaForCausalLM";

        /// <summary>Tokens in the vocabulary: rows of embed_tokens and lm_head.</summary>
        [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 32000;

        /// <summary>Width of the residual stream (d_model).</summary>
        [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 4096;

        /// <summary>Width of the SwiGLU MLP (gate_proj/up_proj outputs).</summary>
        [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 11008;

        /// <summary>Decoder layers.</summary>
        [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 32;

        /// <summary>Query heads.</summary>
        [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 32;

        /// <summary>Key/value heads (grouped-query attention); null means one per query head.</summary>
        [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; init; }

        /// <summary>Width of one head; null means hidden_size / num_attention_heads.</summary>
        [JsonPropertyName("head_dim")] public int? HeadDimension { get; init; }

        /// <summary>Longest sequence the rotary tables (and so the KV cache) cover.</summary>
        [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 2048;

        /// <summary>Epsilon inside RMSNorm's square root.</summary>
        [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;

        /// <summary>Base of the rotary position embedding frequencies.</summary>
        [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;

        /// <summary>True when lm_head shares embed_tokens' weight (no lm_head.weight in the checkpoint).</summary>
        [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }

        /// <summary>Beginning-of-sequence token id.</summary>
        [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; } = 1;

        /// <summary>End-of-sequence token id(s): a number or a list in config.json.</summary>
        [JsonPropertyName("eos_token_id")]
        [JsonConverter(typeof(IntOrIntArrayConverter))]
        public IReadOnlyList<int> EosTokenIds { get; init; } = new[] { 2 };

        /// <summary>Element type the weights were saved in: "float32", "bfloat16" or "float16".</summary>
        [JsonPropertyName("torch_dtype")] public string TorchDtype { get; init; } = "float32";

        /// <summary>Always ["LlamaForCausalLM"].</summary>
        [JsonPropertyName("architectures")] public IReadOnlyList<string> Architectures { get; init; } = new[] { Architecture };

        /// <summary>Always "llama".</summary>
        [JsonPropertyName("model_type")] public string ModelType { get; init; } = "llama";

        /// <summary>Always "silu" (SwiGLU); anything else is rejected.</summary>
        [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";

        /// <summary>Biases on q/k/v/o projections; not supported (must be false).</summary>
        [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }

        /// <summary>Biases on the MLP projections; not supported (must be false).</summary>
        [JsonPropertyName("mlp_bias")] public bool MlpBias { get; init; }

        /// <summary>Rotary scaling (Llama 3.1 and others); not supported (must be null).</summary>
        [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; init; }

        /// <summary>Our extension: the attribute prediction head. Null for a plain language model.</summary>
        [JsonPropertyName("steerlm")] public SteerLMHeadConfig? SteerLM { get; init; }

        /// <summary>Key/value heads after applying the default.</summary>
        [JsonIgnore] public int KeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;

        /// <summary>Width of one head after applying the default.</summary>
        [JsonIgnore] public int HeadDim => HeadDimension ?? (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);

        /// <summary>Attributes the APM head predicts; 0 when there is no head.</summary>
        [JsonIgnore] public int NumAttributes => SteerLM?.NumAttributes ?? 0;

        /// <summary>
        /// About 1.8M parameters: for tests and smoke runs. Vocabulary 8000, d=128, 4 layers, 4 heads
        /// (2 key/value heads), MLP 344, tied embeddings.
        /// </summary>
        public static LlamaConfig Tiny { get; } = new LlamaConfig
        {
            VocabSize = 8000,
            HiddenSize = 128,
            IntermediateSize = 344,
            NumHiddenLayers = 4,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 512,
            RmsNormEps = 1e-5,
            TieWordEmbeddings = true,
        };

        /// <summary>
        /// About 10.7M parameters: the shipped NPC model. Vocabulary 8000, d=336, 6 layers, 6 heads of 56
        /// (2 key/value heads), MLP 1024, tied embeddings.
        /// </summary>
        public static LlamaConfig Small { get; } = new LlamaConfig
        {
            VocabSize = 8000,
            HiddenSize = 336,
            IntermediateSize = 1024,
            NumHiddenLayers = 6,
            NumAttentionHeads = 6,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 1024,
            RmsNormEps = 1e-5,
            TieWordEmbeddings = true,
        };

        /// <summary>This config with an APM head predicting the named attributes (in schema order).</summary>
        public LlamaConfig WithAttributes(IReadOnlyList<string> attributeNames, bool scoreBias = false)
        {
            if (attributeNames is null)
            {
                throw new ArgumentNullException(nameof(attributeNames));
            }
            return this with
            {
                SteerLM = new SteerLMHeadConfig
                {
                    NumAttributes = attributeNames.Count,
                    AttributeNames = attributeNames,
                    ScoreBias = scoreBias,
                },
            };
        }

        /// <summary>This config with a different vocabulary size (e.g. the trained tokenizer's).</summary>
        public LlamaConfig WithVocabSize(int vocabSize) => this with { VocabSize = vocabSize };

        /// <summary>This config with different special token ids.</summary>
        public LlamaConfig WithSpecialTokens(int? bosTokenId, IReadOnlyList<int> eosTokenIds) =>
            this with { BosTokenId = bosTokenId, EosTokenIds = eosTokenIds };

        /// <summary>Parameters a model of this shape has (weights of the APM head included).</summary>
        public long ParameterCount()
        {
            long d = HiddenSize, kv = (long)KeyValueHeads * HeadDim, q = (long)NumAttentionHeads * HeadDim;
            long attention = d * q + 2 * d * kv + q * d;
            long mlp = 3 * d * IntermediateSize;
            long layer = attention + mlp + 2 * d;
            long total = (long)VocabSize * d + NumHiddenLayers * layer + d;
            if (!TieWordEmbeddings)
            {
                total += (long)VocabSize * d;
            }
            if (NumAttributes > 0)
            {
                total += NumAttributes * d + (SteerLM!.ScoreBias ? NumAttributes : 0);
            }
            return total;
        }

        /// <summary>Throws <see cref="InvalidDataException"/> naming the first field whose value cannot work.</summary>
        public void Validate()
        {
            Positive("vocab_size", VocabSize);
            Positive("hidden_size", HiddenSize);
            Positive("intermediate_size", IntermediateSize);
            Positive("num_hidden_layers", NumHiddenLayers);
            Positive("num_attention_heads", NumAttentionHeads);
            Positive("num_key_value_heads", KeyValueHeads);
            Positive("max_position_embeddings", MaxPositionEmbeddings);
            if (HeadDimension is null && HiddenSize % NumAttentionHeads != 0)
            {
                throw Invalid($"hidden_size ({HiddenSize}) is not divisible by num_attention_heads ({NumAttentionHeads})");
            }
            Positive("head_dim", HeadDim);
            if (HeadDim % 2 != 0)
            {
                throw Invalid($"head_dim ({HeadDim}) must be even for rotary embeddings");
            }
            if (NumAttentionHeads % KeyValueHeads != 0)
            {
                throw Invalid($"num_attention_heads ({NumAttentionHeads}) is not divisible by num_key_value_heads ({KeyValueHeads})");
            }
            if (!(RmsNormEps > 0))
            {
                throw Invalid($"rms_norm_eps ({RmsNormEps}) must be greater than 0");
            }
            if (!(RopeTheta > 0))
            {
                throw Invalid($"rope_theta ({RopeTheta}) must be greater than 0");
            }
            if (Architectures is null || Architectures.Count != 1 || Architectures[0] != Architecture)
            {
                string found = Architectures is null ? "null" : "[" + string.Join(", ", Architectures) + "]";
                throw Invalid($"architectures ({found}) must be [\"{Architecture}\"]");
            }
            if (ModelType != "llama")
            {
                throw Invalid($"model_type (\"{ModelType}\") must be \"llama\"");
            }
            if (HiddenAct != "silu")
            {
                throw Invalid($"hidden_act (\"{HiddenAct}\") is not supported: only \"silu\"");
            }
            if (AttentionBias)
            {
                throw Invalid("attention_bias (true) is not supported");
            }
            if (MlpBias)
            {
                throw Invalid("mlp_bias (true) is not supported");
            }
            if (RopeScaling is { ValueKind: not JsonValueKind.Null } scaling)
            {
                throw Invalid($"rope_scaling ({scaling.GetRawText()}) is not supported");
            }
            ScalarTypes.Parse(TorchDtype, "torch_dtype");
            if (BosTokenId is int bos && (bos < 0 || bos >= VocabSize))
            {
                throw Invalid($"bos_token_id ({bos}) is outside the vocabulary (vocab_size {VocabSize})");
            }
            foreach (int eos in EosTokenIds ?? Array.Empty<int>())
            {
                if (eos < 0 || eos >= VocabSize)
                {
                    throw Invalid($"eos_token_id ({eos}) is outside the vocabulary (vocab_size {VocabSize})");
                }
            }
            if (SteerLM is { } head)
            {
                if (head.NumAttributes < 0)
                {
                    throw Invalid($"steerlm.num_attributes ({head.NumAttributes}) must not be negative");
                }
                if (head.AttributeNames is { } names && names.Count != head.NumAttributes)
                {
                    throw Invalid($"steerlm.attribute_names has {names.Count} names but steerlm.num_attributes is {head.NumAttributes}");
                }
            }
        }

        /// <summary>Reads and validates a config.json.</summary>
        public static LlamaConfig Load(string path)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"No model config at '{path}'.", path);
            }
            return Parse(File.ReadAllText(path), path);
        }

        /// <summary>Parses and validates config.json text; <paramref name="source"/> names it in errors.</summary>
        public static LlamaConfig Parse(string json, string source = "config.json")
        {
            LlamaConfig? config;
            try
            {
                config = JsonSerializer.Deserialize<LlamaConfig>(json, JsonOptions);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{source}: not a valid config ({ex.Message})", ex);
            }
            if (config is null)
            {
                throw new InvalidDataException($"{source}: the config is null");
            }
            try
            {
                config.Validate();
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{source}: {ex.Message}", ex);
            }
            return config;
        }

        /// <summary>Writes config.json (indented, Hugging Face names).</summary>
        public void Save(string path)
        {
            Validate();
            File.WriteAllText(path, ToJson());
        }

        /// <summary>This config as config.json text.</summary>
        public string ToJson() => JsonSerializer.Serialize(this, JsonOptions) + "\n";

        private static readonly JsonSerializerOptions JsonOptions = new()
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
        };

        private static void Positive(string field, int value)
        {
            if (value <= 0)
            {
                throw Invalid($"{field} ({value}) must be greater than 0");
            }
        }

        private static InvalidDataException Invalid(string message) => new(message);

        private sealed class IntOrIntArrayConverter : JsonConverter<IReadOnlyList<int>>
        {
            public override IReadOnlyList<int> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            {
                if (reader.TokenType == JsonTokenType.Number)
                {
                    return new[] { reader.GetInt32() };
                }
                if (reader.TokenType == JsonTokenType.Null)
                {
                    return Array.Empty<int>();
                }
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new JsonException("eos_token_id must be a number or a list of numbers");
                }
                var ids = new List<int>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ids.Add(reader.GetInt32());
                }
                return ids;
            }

            public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options)
            {
                if (value.Count == 1)
                {
                    writer.WriteNumberValue(value[0]);
                    return;
                }
                writer.WriteStartArray();
                foreach (int id in value)
                {
                    writer.WriteNumberValue(id);
                }
                writer.WriteEndArray();
            }
        }
    }

    /// <summary>The <c>"steerlm"</c> block of config.json: the attribute prediction (APM) head.</summary>
    public sealed record SteerLMHeadConfig
    {
        /// <summary>Outputs of score.weight: one per attribute.</summary>
        [JsonPropertyName("num_attributes")] public int NumAttributes { get; init; }

        /// <summary>Attribute names in the order of score.weight's rows (the schema's order).</summary>
        [JsonPropertyName("attribute_names")] public IReadOnlyList<string>? AttributeNames { get; init; }

        /// <summary>True when the head has score.bias (Hugging Face's sequence-classification head has none).</summary>
        [JsonPropertyName("score_bias")] public bool ScoreBias { get; init; }
    }
}
