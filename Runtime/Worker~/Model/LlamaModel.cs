using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>
    /// A Llama decoder-only language model (Hugging Face <c>LlamaForCausalLM</c>) with an optional SteerLM
    /// attribute prediction (APM) head. Parameter names are Hugging Face's, so a checkpoint's state dict loads
    /// unchanged: <c>model.embed_tokens.weight</c>, <c>model.layers.{i}.self_attn.{q,k,v,o}_proj.weight</c>,
    /// <c>model.layers.{i}.mlp.{gate,up,down}_proj.weight</c>, <c>model.layers.{i}.{input,post_attention}_layernorm.weight</c>,
    /// <c>model.norm.weight</c>, <c>lm_head.weight</c> (absent when tied), <c>score.weight</c> (+ <c>score.bias</c>).
    /// <para>
    /// Memory: every call returns tensors the caller owns, and the intermediate tensors of a pass belong to the
    /// caller's dispose scope. Wrap each call (each generation step, each training step) in
    /// <c>using (torch.NewDisposeScope())</c> and keep what you need with <c>MoveToOuterDisposeScope()</c>;
    /// for inference also wrap it in <c>torch.inference_mode()</c> (passes with a <see cref="KvCache"/>
    /// always run without gradients).
    /// </para>
    /// </summary>
    public sealed class LlamaModel : nn.Module
    {
        /// <summary>The config of a model folder.</summary>
        public const string ConfigFileName = "config.json";

        /// <summary>Weights of a model folder (a single safetensors file).</summary>
        public const string WeightsFileName = "model.safetensors";

        /// <summary>Index of a sharded checkpoint (Hugging Face's layout), read when there is no single file.</summary>
        public const string WeightsIndexFileName = "model.safetensors.index.json";

        /// <summary>Standard deviation of fresh weights (Hugging Face's initializer_range).</summary>
        public const double InitializerRange = 0.02;

        private readonly LlamaTransformer model;
        private readonly Linear? lm_head;
        private readonly Linear? score;
        private readonly RotaryEmbedding _rotary;
        private readonly CpuDecoder _cpuDecoder;

        /// <summary>
        /// A fresh model with weights drawn as Hugging Face does (normal, std 0.02; norms at 1; biases at 0)
        /// from <paramref name="seed"/>, in <paramref name="dtype"/> (default float32) on <paramref name="device"/>
        /// (default <see cref="DefaultDevice"/>).
        /// </summary>
        public LlamaModel(LlamaConfig config, ScalarType? dtype = null, Device? device = null, long seed = 0)
            : this(config, dtype ?? ScalarType.Float32, device ?? DefaultDevice, initialize: true, seed)
        {
        }

        private LlamaModel(LlamaConfig config, ScalarType dtype, Device device, bool initialize, long seed)
            : base(nameof(LlamaModel))
        {
            config.Validate();
            ScalarTypes.ToTorchName(dtype);
            Config = config;
            model = new LlamaTransformer(config, dtype, device);
            lm_head = config.TieWordEmbeddings ? null : NewLinear(config.HiddenSize, config.VocabSize, false, dtype, device);
            score = config.NumAttributes > 0
                ? NewLinear(config.HiddenSize, config.NumAttributes, config.SteerLM!.ScoreBias, dtype, device)
                : null;
            _rotary = new RotaryEmbedding(config.HeadDim, config.MaxPositionEmbeddings, config.RopeTheta);
            _cpuDecoder = new CpuDecoder(config);
            RegisterComponents();
            if (initialize)
            {
                InitializeWeights(seed);
            }
        }

        /// <summary>CUDA when TorchSharp sees a GPU, else the CPU.</summary>
        public static Device DefaultDevice => torch.cuda.is_available() ? torch.CUDA : torch.CPU;

        /// <summary>The model's shape.</summary>
        public LlamaConfig Config { get; }

        /// <summary>Element type of the weights.</summary>
        public ScalarType DType => model.EmbeddingWeight.dtype;

        /// <summary>Device of the weights.</summary>
        public Device Device => model.EmbeddingWeight.device;

        /// <summary>True when the model has the APM scoring head.</summary>
        public bool HasScoreHead => score is not null;

        /// <summary>
        /// Reads <c>config.json</c> and <c>model.safetensors</c> (or a sharded <c>model.safetensors.index.json</c>)
        /// from <paramref name="modelDir"/>. <paramref name="dtype"/> null: the config's torch_dtype;
        /// <paramref name="device"/> null: <see cref="DefaultDevice"/>. Missing, extra or misshapen tensors are errors
        /// naming the file and tensor.
        /// </summary>
        public static LlamaModel Load(string modelDir, ScalarType? dtype = null, Device? device = null)
        {
            LlamaConfig config = LlamaConfig.Load(Path.Combine(modelDir, ConfigFileName));
            ScalarType type = dtype ?? ScalarTypes.Parse(config.TorchDtype, "torch_dtype");
            var result = new LlamaModel(config, type, device ?? DefaultDevice, initialize: false, seed: 0);
            try
            {
                result.LoadWeights(modelDir);
            }
            catch
            {
                result.Dispose();
                throw;
            }
            return result;
        }

        /// <summary>Writes <c>config.json</c> (torch_dtype set to the weights' type) and <c>model.safetensors</c>.</summary>
        public void Save(string modelDir)
        {
            Directory.CreateDirectory(modelDir);
            (Config with { TorchDtype = ScalarTypes.ToTorchName(DType) }).Save(Path.Combine(modelDir, ConfigFileName));
            var metadata = new Dictionary<string, string> { ["format"] = "pt" };
            Safetensors.Save(Path.Combine(modelDir, WeightsFileName), state_dict(), metadata);
        }

        /// <summary>
        /// Logits of the next token. Without a cache: a causal pass over the whole of <paramref name="inputIds"/>
        /// (B, T), positions 0..T-1. With a cache: the T tokens of row b are appended to cache slot
        /// <paramref name="slots"/>[b] (default: row b) at <paramref name="startPositions"/>[b] (default: the
        /// slot's length) and attend to that slot's earlier tokens; rows may sit at different positions
        /// (batched decode) and the cache's lengths advance by T. Returns float32 logits (B, T, V), or (B, V) for
        /// the last position only when <paramref name="lastOnly"/> (what generation wants: it skips the head
        /// for the other positions).
        /// <para>
        /// On the CPU, cached passes of one token per row (decode steps) of float32 and bfloat16 models run in
        /// <see cref="CpuDecoder"/> (managed SIMD, same arithmetic) where the CPU has AVX2 and FMA; prompts (T &gt; 1),
        /// passes without a cache and other devices or dtypes run the tensor code below.
        /// </para>
        /// </summary>
        public Tensor Forward(Tensor inputIds, KvCache? cache = null, long[]? slots = null, long[]? startPositions = null, bool lastOnly = false)
        {
            inputIds = OnModelDevice(inputIds);
            if (cache is null)
            {
                if (slots is not null || startPositions is not null)
                {
                    throw new ArgumentException("slots and startPositions need a KvCache");
                }
                Tensor hidden = HiddenStates(inputIds, lastOnly); // (B, T or 1, D)
                return Logits(hidden, lastOnly);
            }

            long batch = inputIds.shape[0], tokens = inputIds.shape[1];
            slots ??= Enumerable.Range(0, (int)batch).Select(i => (long)i).ToArray();
            if (slots.Length != batch)
            {
                throw new ArgumentException($"{slots.Length} slots for a batch of {batch} rows", nameof(slots));
            }
            if (cache.Layers != Config.NumHiddenLayers || cache.KeyValueHeads != Config.KeyValueHeads || cache.HeadDim != Config.HeadDim)
            {
                throw new ArgumentException("the cache was made for a model of another shape", nameof(cache));
            }
            if (cache.DType != DType || cache.Device.type != Device.type)
            {
                throw new ArgumentException($"the cache holds {cache.DType} on {cache.Device.type} but the model runs {DType} on {Device.type}", nameof(cache));
            }

            using (torch.no_grad())
            {
                CacheStep step = cache.Plan(slots, startPositions, tokens, Config.MaxPositionEmbeddings);
                if (tokens == 1 && UsesCpuDecoder(cache))
                {
                    // Decode: one token per row, in managed SIMD code (the same arithmetic; see CpuDecoder).
                    return _cpuDecoder.Decode(this, model, lm_head?.weight ?? model.EmbeddingWeight, _rotary, inputIds, cache, step, lastOnly);
                }
                (Tensor cos, Tensor sin) = _rotary.At(step.Positions, DType);     // (B, T, 1, head_dim) each
                Tensor? mask = null;
                if (step.NeedsMask)
                {
                    Tensor keyPositions = torch.arange(step.KeyLength, dtype: ScalarType.Int64, device: cache.Device); // (L)
                    mask = keyPositions.view(1, 1, 1, -1) <= step.Positions.view(batch, 1, tokens, 1);                 // (B, 1, T, L)
                }
                var inputs = new AttentionInputs(cos, sin, mask, cache, step);
                Tensor hidden = model.forward(inputIds, inputs, lastOnly); // (B, T or 1, D)
                cache.Commit(step);
                return Logits(hidden, lastOnly);
            }
        }

        // The CPU decode path runs float32 and bfloat16 models on x86-64 CPUs with AVX2 and FMA, where every tensor
        // it reads fits a span (under 2 GiB).
        private bool UsesCpuDecoder(KvCache cache)
        {
            if (!CpuDecoder.Handles(Device, DType))
            {
                return false;
            }
            long elementSize = DType == ScalarType.Float32 ? 4 : 2;
            long widest = Math.Max((long)Config.VocabSize * Config.HiddenSize, (long)Config.IntermediateSize * Config.HiddenSize);
            widest = Math.Max(widest, (long)Config.NumAttentionHeads * Config.HeadDim * Config.HiddenSize);
            return widest * elementSize <= int.MaxValue && cache.LayerBytes <= int.MaxValue;
        }

        /// <summary>Logits (B, T, V) in float32 for every position of <paramref name="inputIds"/> (B, T): training's pass.</summary>
        public Tensor FullForward(Tensor inputIds) => Forward(inputIds);

        /// <summary>The final-norm hidden states (B, T, D) of a causal pass, in the model's dtype.</summary>
        public Tensor HiddenStates(Tensor inputIds) => HiddenStates(inputIds, lastOnly: false);

        /// <summary>Logits (B, T, V) in float32 from final-norm hidden states (B, T, D).</summary>
        public Tensor Logits(Tensor hidden) => Logits(hidden, lastOnly: false);

        /// <summary>
        /// The APM head: one value per attribute per sequence (B, A), float32, read from the final-norm hidden
        /// state of each row's last real token, as NeMo-Aligner's regression reward model does.
        /// <paramref name="lengths"/>[b] is row b's count of real tokens (right padding after it); null: all T.
        /// </summary>
        public Tensor Score(Tensor inputIds, long[]? lengths = null)
        {
            Tensor hidden = HiddenStates(inputIds, lastOnly: false); // (B, T, D)
            return ScoreHidden(hidden, lengths);
        }

        /// <summary>The APM head on hidden states already computed (B, T, D); see <see cref="Score"/>.</summary>
        public Tensor ScoreHidden(Tensor hidden, long[]? lengths = null)
        {
            if (score is null)
            {
                throw new InvalidOperationException("this model has no APM head: set steerlm.num_attributes in its config");
            }
            long batch = hidden.shape[0], tokens = hidden.shape[1], width = hidden.shape[2];
            lengths ??= Enumerable.Repeat(tokens, (int)batch).ToArray();
            if (lengths.Length != batch)
            {
                throw new ArgumentException($"{lengths.Length} lengths for a batch of {batch} rows", nameof(lengths));
            }
            var last = new long[batch];
            for (int b = 0; b < batch; b++)
            {
                if (lengths[b] < 1 || lengths[b] > tokens)
                {
                    throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"row {b}: a length must be in 1..{tokens}");
                }
                last[b] = lengths[b] - 1;
            }
            Tensor index = torch.tensor(last, dtype: ScalarType.Int64, device: hidden.device)
                .view(batch, 1, 1).expand(batch, 1, width);             // (B, 1, D)
            Tensor final = hidden.gather(1, index).squeeze(1);          // (B, D)
            return score.forward(final).to(ScalarType.Float32);        // (B, A)
        }

        /// <summary>Parameters the model holds.</summary>
        public long ParameterCount() => parameters().Sum(p => p.NumberOfElements);

        /// <summary>Copies weights from a model folder into this model; see <see cref="Load"/>.</summary>
        public void LoadWeights(string modelDir)
        {
            string single = Path.Combine(modelDir, WeightsFileName);
            string index = Path.Combine(modelDir, WeightsIndexFileName);
            var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal); // shard name -> open file
            try
            {
                if (File.Exists(single) || !File.Exists(index))
                {
                    SafetensorsFile file = SafetensorsFile.Open(single);
                    files.Add(WeightsFileName, file);
                    LoadWeights(_ => file, files.Values.ToList(), single);
                    return;
                }
                Dictionary<string, string> shardOf = ReadShardIndex(index); // tensor name -> shard name
                foreach (string shard in shardOf.Values.Distinct())
                {
                    files.Add(shard, SafetensorsFile.Open(Path.Combine(modelDir, shard)));
                }
                LoadWeights(name => shardOf.TryGetValue(name, out string? shard) ? files[shard] : null, files.Values.ToList(), index);
            }
            finally
            {
                foreach (SafetensorsFile file in files.Values)
                {
                    file.Dispose();
                }
            }
        }

        /// <summary>Copies weights from one open safetensors file into this model; see <see cref="Load"/>.</summary>
        public void LoadWeights(SafetensorsFile file) => LoadWeights(_ => file, new[] { file }, file.Path);

        private void LoadWeights(Func<string, SafetensorsFile?> fileFor, IReadOnlyList<SafetensorsFile> files, string source)
        {
            var expected = new HashSet<string>(StringComparer.Ordinal);
            foreach ((string name, Parameter parameter) in named_parameters())
            {
                expected.Add(name);
                SafetensorsFile? file = fileFor(name);
                if (file is null || !file.Contains(name))
                {
                    throw new InvalidDataException(
                        $"{file?.Path ?? source}: missing tensor '{name}' (the model expects shape {Safetensors.FormatShape(parameter.shape)})");
                }
                file.ReadInto(name, parameter);
            }
            foreach (SafetensorsFile file in files)
            {
                foreach (SafetensorsEntry entry in file.Tensors)
                {
                    if (!expected.Contains(entry.Name) && !IsIgnorable(entry.Name))
                    {
                        throw new InvalidDataException(
                            $"{file.Path}: unexpected tensor '{entry.Name}' {Safetensors.FormatShape(entry.Shape)}: " +
                            "the config describes another architecture (check tie_word_embeddings and steerlm.num_attributes)");
                    }
                }
            }
        }

        // Rotary tables are recomputed here; a tied head may still be saved by some tools.
        private bool IsIgnorable(string name) =>
            name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (lm_head is null && name == "lm_head.weight");

        private static Dictionary<string, string> ReadShardIndex(string indexPath)
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!document.RootElement.TryGetProperty("weight_map", out var weightMap) || weightMap.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                throw new InvalidDataException($"{indexPath}: no \"weight_map\" object");
            }
            return weightMap.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
        }

        private Tensor HiddenStates(Tensor inputIds, bool lastOnly)
        {
            inputIds = OnModelDevice(inputIds);
            long tokens = inputIds.shape[1];
            if (tokens > Config.MaxPositionEmbeddings)
            {
                throw new ArgumentException($"{tokens} tokens exceed max_position_embeddings ({Config.MaxPositionEmbeddings})", nameof(inputIds));
            }
            (Tensor cos, Tensor sin) = _rotary.First(tokens, DType, Device); // (1, T, 1, head_dim) each
            var inputs = new AttentionInputs(cos, sin, mask: null, cache: null, step: null);
            return model.forward(inputIds, inputs, lastOnly); // (B, T or 1, D)
        }

        private Tensor Logits(Tensor hidden, bool lastOnly)
        {
            Tensor logits = lm_head is not null
                ? lm_head.forward(hidden)                                          // (B, T, V)
                : nn.functional.linear(hidden, model.EmbeddingWeight);             // (B, T, V), tied to embed_tokens
            logits = logits.to(ScalarType.Float32);
            return lastOnly ? logits.squeeze(1) : logits;                          // (B, V) or (B, T, V)
        }

        // Checks ids (B, T) and moves them to the weights' device when they are elsewhere (the caller's scope owns the copy).
        private Tensor OnModelDevice(Tensor inputIds)
        {
            CheckIds(inputIds);
            Device device = Device;
            bool same = inputIds.device_type == device.type && (device.type != DeviceType.CUDA || inputIds.device_index == device.index);
            return same ? inputIds : inputIds.to(device);
        }

        private static void CheckIds(Tensor inputIds)
        {
            if (inputIds.dim() != 2 || inputIds.shape[1] < 1 || inputIds.shape[0] < 1)
            {
                throw new ArgumentException($"input ids must have shape (B, T) with B, T >= 1, not {Safetensors.FormatShape(inputIds.shape)}", nameof(inputIds));
            }
            if (inputIds.dtype != ScalarType.Int64 && inputIds.dtype != ScalarType.Int32)
            {
                throw new ArgumentException($"input ids must be Int64 or Int32, not {inputIds.dtype}", nameof(inputIds));
            }
        }

        private void InitializeWeights(long seed)
        {
            using var generator = new torch.Generator((ulong)seed, torch.CPU);
            using (torch.no_grad())
            {
                foreach ((string name, Parameter parameter) in named_parameters())
                {
                    using DisposeScope scope = torch.NewDisposeScope();
                    if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                    {
                        parameter.fill_(1.0);
                    }
                    else if (name.EndsWith(".bias", StringComparison.Ordinal))
                    {
                        parameter.zero_();
                    }
                    else
                    {
                        // Drawn on the CPU in float32, so the same seed gives the same model on every device and dtype.
                        // (nn.init.normal_ would ignore the generator.)
                        Tensor values = torch.randn(parameter.shape, dtype: ScalarType.Float32, device: torch.CPU, generator: generator);
                        parameter.copy_(values.mul_(InitializerRange));
                    }
                }
            }
        }

        internal static Linear NewLinear(long inputs, long outputs, bool hasBias, ScalarType dtype, Device device)
        {
            Parameter weight = NewParameter(torch.empty(outputs, inputs, dtype: dtype, device: device));
            Parameter? bias = hasBias ? NewParameter(torch.zeros(outputs, dtype: dtype, device: device)) : null;
            return nn.Linear(weight, bias);
        }

        /// <summary>A parameter that belongs to its module, never to a dispose scope the caller happens to have open.</summary>
        internal static Parameter NewParameter(Tensor data)
        {
            var parameter = new Parameter(data);
            parameter.DetachFromDisposeScope();
            return parameter;
        }

        /// <inheritdoc />
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _rotary.Dispose();
                _cpuDecoder.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>Hugging Face's inner <c>LlamaModel</c> (the "model." prefix): embeddings, decoder layers, final norm.</summary>
    internal sealed class LlamaTransformer : nn.Module
    {
        private readonly TokenEmbedding embed_tokens;
        private readonly ModuleList<LlamaDecoderLayer> layers;
        private readonly RmsNorm norm;

        public LlamaTransformer(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaTransformer))
        {
            embed_tokens = new TokenEmbedding(config.VocabSize, config.HiddenSize, dtype, device);
            layers = new ModuleList<LlamaDecoderLayer>(
                Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, dtype, device)).ToArray());
            norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
            RegisterComponents();
        }

        public Tensor EmbeddingWeight => embed_tokens.Weight;

        public Tensor NormWeight => norm.Weight;

        public int LayerCount => layers.Count;

        public LlamaDecoderLayer Layer(int index) => layers[index];

        public Tensor forward(Tensor inputIds, AttentionInputs inputs, bool lastOnly)
        {
            Tensor x = embed_tokens.forward(inputIds); // (B, T, D)
            foreach (LlamaDecoderLayer layer in layers)
            {
                x = layer.forward(x, inputs);          // (B, T, D)
            }
            if (lastOnly && x.shape[1] > 1)
            {
                x = x.narrow(1, x.shape[1] - 1, 1);    // (B, 1, D)
            }
            return norm.forward(x);                    // (B, T or 1, D)
        }
    }

    /// <summary>Token embeddings: one row of <c>weight</c> (V, D) per token id.</summary>
    internal sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter weight;

        public TokenEmbedding(long vocabulary, long width, ScalarType dtype, Device device) : base(nameof(TokenEmbedding))
        {
            weight = LlamaModel.NewParameter(torch.empty(vocabulary, width, dtype: dtype, device: device));
            RegisterComponents();
        }

        public Tensor Weight => weight;

        public override Tensor forward(Tensor inputIds)
        {
            long batch = inputIds.shape[0], tokens = inputIds.shape[1];
            return weight.index_select(0, inputIds.reshape(-1)).view(batch, tokens, -1); // (B, T, D)
        }
    }

    /// <summary>One pre-norm decoder block: x + attention(norm(x)), then h + mlp(norm(h)).</summary>
    internal sealed class LlamaDecoderLayer : nn.Module
    {
        private readonly RmsNorm input_layernorm;
        private readonly LlamaAttention self_attn;
        private readonly RmsNorm post_attention_layernorm;
        private readonly LlamaMlp mlp;

        public LlamaDecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device device) : base(nameof(LlamaDecoderLayer))
        {
            input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
            self_attn = new LlamaAttention(config, layerIndex, dtype, device);
            post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
            mlp = new LlamaMlp(config, dtype, device);
            RegisterComponents();
        }

        public Tensor InputNormWeight => input_layernorm.Weight;
        public Tensor PostNormWeight => post_attention_layernorm.Weight;
        public Tensor QWeight => self_attn.QWeight;
        public Tensor KWeight => self_attn.KWeight;
        public Tensor VWeight => self_attn.VWeight;
        public Tensor OWeight => self_attn.OWeight;
        public Tensor GateWeight => mlp.GateWeight;
        public Tensor UpWeight => mlp.UpWeight;
        public Tensor DownWeight => mlp.DownWeight;

        public Tensor forward(Tensor x, AttentionInputs inputs)
        {
            Tensor h = x + self_attn.forward(input_layernorm.forward(x), inputs); // (B, T, D)
            return h + mlp.forward(post_attention_layernorm.forward(h));          // (B, T, D)
        }
    }

    /// <summary>Grouped-query self-attention with rotary positions, reading and writing the KV cache when there is one.</summary>
    internal sealed class LlamaAttention : nn.Module
    {
        private readonly Linear q_proj;
        private readonly Linear k_proj;
        private readonly Linear v_proj;
        private readonly Linear o_proj;
        private readonly int _layer;
        private readonly long _heads;
        private readonly long _kvHeads;
        private readonly long _headDim;

        public LlamaAttention(LlamaConfig config, int layerIndex, ScalarType dtype, Device device) : base(nameof(LlamaAttention))
        {
            _layer = layerIndex;
            _heads = config.NumAttentionHeads;
            _kvHeads = config.KeyValueHeads;
            _headDim = config.HeadDim;
            q_proj = LlamaModel.NewLinear(config.HiddenSize, _heads * _headDim, false, dtype, device);
            k_proj = LlamaModel.NewLinear(config.HiddenSize, _kvHeads * _headDim, false, dtype, device);
            v_proj = LlamaModel.NewLinear(config.HiddenSize, _kvHeads * _headDim, false, dtype, device);
            o_proj = LlamaModel.NewLinear(_heads * _headDim, config.HiddenSize, false, dtype, device);
            RegisterComponents();
        }

        public Tensor QWeight => q_proj.weight!;
        public Tensor KWeight => k_proj.weight!;
        public Tensor VWeight => v_proj.weight!;
        public Tensor OWeight => o_proj.weight!;

        public Tensor forward(Tensor x, AttentionInputs inputs)
        {
            long batch = x.shape[0], tokens = x.shape[1], groups = _heads / _kvHeads;
            Tensor q = q_proj.forward(x).view(batch, tokens, _heads, _headDim);   // (B, T, n_heads, head_dim)
            Tensor k = k_proj.forward(x).view(batch, tokens, _kvHeads, _headDim); // (B, T, n_kv_heads, head_dim)
            Tensor v = v_proj.forward(x).view(batch, tokens, _kvHeads, _headDim); // (B, T, n_kv_heads, head_dim)
            q = RotaryEmbedding.Apply(q, inputs.Cos, inputs.Sin);                 // (B, T, n_heads, head_dim)
            k = RotaryEmbedding.Apply(k, inputs.Cos, inputs.Sin);                 // (B, T, n_kv_heads, head_dim)

            Tensor output;
            if (inputs.Cache is { } cache && inputs.Step is { } step)
            {
                cache.Write(_layer, k, v, step);
                (Tensor keys, Tensor values) = cache.Read(_layer, step); // (B, n_kv_heads, L, head_dim) each
                // The query heads that share a key/value head become extra query rows of that head, so the
                // cached keys and values are used as they are, never repeated per query head.
                Tensor grouped = q.view(batch, tokens, _kvHeads, groups, _headDim)
                    .permute(0, 2, 3, 1, 4)
                    .reshape(batch, _kvHeads, groups * tokens, _headDim);         // (B, n_kv_heads, groups*T, head_dim)
                Tensor? mask = inputs.GroupedMask(groups);                       // (B, 1, groups*T, L) or null
                Tensor attended = nn.functional.scaled_dot_product_attention(grouped, keys, values, mask); // (B, n_kv_heads, groups*T, head_dim)
                output = attended.view(batch, _kvHeads, groups, tokens, _headDim)
                    .permute(0, 3, 1, 2, 4)
                    .reshape(batch, tokens, _heads * _headDim);                   // (B, T, n_heads*head_dim)
            }
            else
            {
                Tensor queries = q.transpose(1, 2);                                  // (B, n_heads, T, head_dim)
                Tensor keys = RepeatKv(k.transpose(1, 2), groups);                   // (B, n_heads, T, head_dim)
                Tensor values = RepeatKv(v.transpose(1, 2), groups);                 // (B, n_heads, T, head_dim)
                Tensor attended = nn.functional.scaled_dot_product_attention(queries, keys, values, is_casual: true); // (B, n_heads, T, head_dim)
                output = attended.transpose(1, 2).reshape(batch, tokens, _heads * _headDim);                        // (B, T, n_heads*head_dim)
            }
            return o_proj.forward(output); // (B, T, D)
        }

        private static Tensor RepeatKv(Tensor x, long groups)
        {
            if (groups == 1)
            {
                return x;
            }
            long batch = x.shape[0], kvHeads = x.shape[1], tokens = x.shape[2], headDim = x.shape[3];
            return x.unsqueeze(2)
                .expand(batch, kvHeads, groups, tokens, headDim)
                .reshape(batch, kvHeads * groups, tokens, headDim); // (B, n_heads, T, head_dim)
        }
    }

    /// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
    internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear gate_proj;
        private readonly Linear up_proj;
        private readonly Linear down_proj;

        public LlamaMlp(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaMlp))
        {
            gate_proj = LlamaModel.NewLinear(config.HiddenSize, config.IntermediateSize, false, dtype, device);
            up_proj = LlamaModel.NewLinear(config.HiddenSize, config.IntermediateSize, false, dtype, device);
            down_proj = LlamaModel.NewLinear(config.IntermediateSize, config.HiddenSize, false, dtype, device);
            RegisterComponents();
        }

        public Tensor GateWeight => gate_proj.weight!;
        public Tensor UpWeight => up_proj.weight!;
        public Tensor DownWeight => down_proj.weight!;

        public override Tensor forward(Tensor x)
        {
            Tensor gate = nn.functional.silu(gate_proj.forward(x)); // (B, T, ff)
            Tensor up = up_proj.forward(x);                         // (B, T, ff)
            return down_proj.forward(gate.mul_(up));                // (B, T, D)
        }
    }

    /// <summary>Root-mean-square norm, computed in float32 and scaled by <c>weight</c> in the input's dtype (as Hugging Face does).</summary>
    internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter weight;
        private readonly double _eps;

        public RmsNorm(long width, double eps, ScalarType dtype, Device device) : base(nameof(RmsNorm))
        {
            weight = LlamaModel.NewParameter(torch.ones(width, dtype: dtype, device: device));
            _eps = eps;
            RegisterComponents();
        }

        public Tensor Weight => weight;

        public override Tensor forward(Tensor x)
        {
            ScalarType inputType = x.dtype;
            Tensor x32 = x.to(ScalarType.Float32);                                        // (B, T, D)
            Tensor variance = x32.square().mean(new long[] { -1 }, keepdim: true);        // (B, T, 1)
            Tensor normed = x32.mul(variance.add_(_eps).rsqrt_()).to(inputType);          // (B, T, D)
            return normed.mul_(weight);                                                   // (B, T, D)
        }
    }

    /// <summary>What every attention layer of one pass shares: rotary tables, the mask and the cache plan.</summary>
    internal sealed class AttentionInputs
    {
        private readonly Tensor? _mask;
        private Tensor? _groupedMask;

        public AttentionInputs(Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, CacheStep? step)
        {
            Cos = cos;
            Sin = sin;
            _mask = mask;
            Cache = cache;
            Step = step;
        }

        public Tensor Cos { get; }  // (B or 1, T, 1, head_dim)
        public Tensor Sin { get; }  // (B or 1, T, 1, head_dim)
        public KvCache? Cache { get; }
        public CacheStep? Step { get; }

        /// <summary>The (B, 1, T, L) mask repeated for each query head of a group: (B, 1, groups*T, L); made once per pass.</summary>
        public Tensor? GroupedMask(long groups)
        {
            if (_mask is null || groups == 1)
            {
                return _mask;
            }
            if (_groupedMask is null)
            {
                long batch = _mask.shape[0], tokens = _mask.shape[2], keys = _mask.shape[3];
                _groupedMask = _mask.unsqueeze(2).expand(batch, 1, groups, tokens, keys).reshape(batch, 1, groups * tokens, keys);
            }
            return _groupedMask;
        }
    }

    /// <summary>
    /// Rotary position embedding tables, Hugging Face's rotate-half convention: for position p and
    /// i &lt; head_dim/2, angle p * theta^(-2i/head_dim), used for both halves of the head. Computed once in
    /// float32 (not module state: Hugging Face does not save them either).
    /// </summary>
    internal sealed class RotaryEmbedding : IDisposable
    {
        private readonly Tensor _cos; // (max_positions, head_dim) float32, CPU
        private readonly Tensor _sin; // (max_positions, head_dim) float32, CPU
        private readonly Dictionary<(DeviceType, int, ScalarType), (Tensor Cos, Tensor Sin)> _copies = new();

        public RotaryEmbedding(long headDim, long maxPositions, double theta)
        {
            using (torch.NewDisposeScope())
            {
                Tensor exponents = torch.arange(0, headDim, 2, dtype: ScalarType.Int64).to(ScalarType.Float32) / headDim; // (head_dim/2)
                Tensor inverseFrequency = torch.full_like(exponents, theta).pow(exponents).reciprocal();                     // (head_dim/2)
                Tensor positions = torch.arange(maxPositions, dtype: ScalarType.Int64).to(ScalarType.Float32);               // (P)
                Tensor angles = positions.outer(inverseFrequency);                                                           // (P, head_dim/2)
                Tensor both = torch.cat(new[] { angles, angles }, -1);                                                       // (P, head_dim)
                _cos = both.cos().DetachFromDisposeScope();
                _sin = both.sin().DetachFromDisposeScope();
            }
        }

        /// <summary>cos of every position's angles (max_positions, head_dim), float32 on the CPU.</summary>
        public Tensor CosTable => _cos;

        /// <summary>sin of every position's angles (max_positions, head_dim), float32 on the CPU.</summary>
        public Tensor SinTable => _sin;

        /// <summary>Tables for positions (B, T): (B, T, 1, head_dim) each, in <paramref name="dtype"/>.</summary>
        public (Tensor Cos, Tensor Sin) At(Tensor positions, ScalarType dtype)
        {
            (Tensor cos, Tensor sin) = On(positions.device, dtype);
            long batch = positions.shape[0], tokens = positions.shape[1];
            Tensor flat = positions.view(-1);                                               // (B*T)
            return (cos.index_select(0, flat).view(batch, tokens, 1, -1),                   // (B, T, 1, head_dim)
                    sin.index_select(0, flat).view(batch, tokens, 1, -1));                  // (B, T, 1, head_dim)
        }

        /// <summary>Tables for positions 0..T-1: (1, T, 1, head_dim) each, in <paramref name="dtype"/>.</summary>
        public (Tensor Cos, Tensor Sin) First(long tokens, ScalarType dtype, Device device)
        {
            (Tensor cos, Tensor sin) = On(device, dtype);
            return (cos.narrow(0, 0, tokens).view(1, tokens, 1, -1),  // (1, T, 1, head_dim)
                    sin.narrow(0, 0, tokens).view(1, tokens, 1, -1)); // (1, T, 1, head_dim)
        }

        /// <summary>x * cos + rotate_half(x) * sin, with rotate_half(x) = cat(-x2, x1).</summary>
        public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
        {
            long half = x.shape[^1] / 2;
            Tensor x1 = x.narrow(-1, 0, half);                  // (B, T, H, head_dim/2)
            Tensor x2 = x.narrow(-1, half, half);               // (B, T, H, head_dim/2)
            Tensor rotated = torch.cat(new[] { x2.neg(), x1 }, -1); // (B, T, H, head_dim)
            return (x * cos).add_(rotated.mul_(sin));           // (B, T, H, head_dim)
        }

        public void Dispose()
        {
            _cos.Dispose();
            _sin.Dispose();
            foreach ((Tensor cos, Tensor sin) in _copies.Values)
            {
                cos.Dispose();
                sin.Dispose();
            }
            _copies.Clear();
        }

        // The float32 tables cast to the activation dtype (as Hugging Face casts cos/sin to x.dtype) on the
        // activations' device, made on first use and kept.
        private (Tensor Cos, Tensor Sin) On(Device device, ScalarType dtype)
        {
            var key = (device.type, device.index, dtype);
            if (!_copies.TryGetValue(key, out var tables))
            {
                // Made as normal tensors even when the first pass runs in inference mode, so a later training
                // pass can save them for backward.
                using (torch.inference_mode(false))
                {
                    tables = (_cos.to(dtype, device, copy: true).DetachFromDisposeScope(),
                              _sin.to(dtype, device, copy: true).DetachFromDisposeScope());
                }
                _copies[key] = tables;
            }
            return tables;
        }
    }
}
