using System;
using System.IO;
using SteerLM.Npc.Steering;
using SteerLM.Npc.Worker.Model;
using SteerLM.Npc.Worker.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker
{
    /// <summary>
    /// A model directory: <c>config.json</c> (Hugging Face names), <c>model.safetensors</c>, <c>tokenizer.model</c>
    /// (SentencePiece), <c>attributes.json</c> (the attribute schema) and <c>MODEL_CARD.md</c>.
    /// </summary>
    public sealed class ModelDirectory : IDisposable
    {
        /// <summary>File name of the tokenizer.</summary>
        public const string TokenizerFileName = "tokenizer.model";

        /// <summary>File name of the attribute schema.</summary>
        public const string SchemaFileName = "attributes.json";

        /// <summary>File name of the model card.</summary>
        public const string CardFileName = "MODEL_CARD.md";

        private ModelDirectory(string path, LlamaModel model, NpcTokenizer tokenizer, AttributeSchema schema)
        {
            Path = path;
            Model = model;
            Tokenizer = tokenizer;
            Schema = schema;
        }

        /// <summary>The directory.</summary>
        public string Path { get; }

        /// <summary>An identifier for the handshake and logs: the directory's name.</summary>
        public string ModelId => System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(Path));

        /// <summary>The model, loaded.</summary>
        public LlamaModel Model { get; }

        /// <summary>Its tokenizer.</summary>
        public NpcTokenizer Tokenizer { get; }

        /// <summary>The attribute schema the model was trained with.</summary>
        public AttributeSchema Schema { get; }

        /// <summary>Loads a model directory; every missing or corrupt file is an error that names it.</summary>
        public static ModelDirectory Load(string path, ScalarType? dtype = null, Device? device = null)
        {
            if (!Directory.Exists(path))
            {
                throw new DirectoryNotFoundException($"Model directory not found: {path}");
            }

            foreach (var name in new[] { LlamaModel.ConfigFileName, LlamaModel.WeightsFileName, TokenizerFileName, SchemaFileName })
            {
                var file = System.IO.Path.Combine(path, name);
                if (!File.Exists(file))
                {
                    throw new FileNotFoundException($"The model directory lacks {name}: {file}", file);
                }
            }

            var tokenizer = NpcTokenizer.Load(System.IO.Path.Combine(path, TokenizerFileName));
            var schema = AttributeSchema.Load(System.IO.Path.Combine(path, SchemaFileName));
            var model = LlamaModel.Load(path, dtype, device);
            if (model.Config.VocabSize < tokenizer.VocabSize)
            {
                model.Dispose();
                throw new InvalidDataException(
                    $"{System.IO.Path.Combine(path, LlamaModel.ConfigFileName)}: vocab_size {model.Config.VocabSize} is smaller than the tokenizer's {tokenizer.VocabSize} pieces ({TokenizerFileName}).");
            }

            return new ModelDirectory(path, model, tokenizer, schema);
        }

        /// <summary>
        /// Writes a randomly initialised model directory (for tests and benchmarks): the preset's architecture with the
        /// tokenizer's vocabulary size, the NPC schema, and a model card that says the weights are untrained.
        /// </summary>
        public static void Initialize(string path, LlamaConfig preset, string tokenizerPath, long seed = 0, AttributeSchema? schema = null)
        {
            var tokenizer = NpcTokenizer.Load(tokenizerPath);
            var config = preset with { VocabSize = tokenizer.VocabSize, BosTokenId = tokenizer.BosId, EosTokenIds = new[] { tokenizer.EosId } };
            Directory.CreateDirectory(path);
            using (var model = new LlamaModel(config, ScalarType.Float32, torch.CPU, seed))
            {
                model.Save(path);
            }

            File.Copy(tokenizerPath, System.IO.Path.Combine(path, TokenizerFileName), overwrite: true);
            (schema ?? AttributeSchemas.Npc).Save(System.IO.Path.Combine(path, SchemaFileName));
            File.WriteAllText(System.IO.Path.Combine(path, CardFileName),
                $"# Untrained model\n\nRandomly initialised (seed {seed}) by `SteerLM.Npc.Worker init`, for tests and benchmarks only. " +
                $"Architecture: Llama, {config.NumHiddenLayers} layers, hidden size {config.HiddenSize}, {config.NumAttentionHeads} heads " +
                $"({config.KeyValueHeads} key/value), vocabulary {config.VocabSize}. It produces noise, not dialogue.\n");
        }

        /// <summary>The SteerLM prompt's token ids for a system text, a player line and attribute values.</summary>
        public int[] EncodePrompt(string system, System.Collections.Generic.IReadOnlyList<PromptTurn> turns, AttributeValues attributes)
        {
            if (!attributes.Schema.IsCompatibleWith(Schema))
            {
                throw new ArgumentException($"The attributes are of schema '{attributes.Schema.Id}', but the model was trained with '{Schema.Id}' ({string.Join(",", Schema.Names)}).", nameof(attributes));
            }

            return Tokenizer.Encode(SteerLMTemplate.FormatPrompt(system, turns, attributes), addBos: true);
        }

        /// <inheritdoc />
        public void Dispose() => Model.Dispose();
    }
}
