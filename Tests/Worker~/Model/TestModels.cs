using System;
using System.IO;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    /// <summary>Small models and scratch folders shared by the model tests.</summary>
    internal static class TestModels
    {
        /// <summary>A very small Llama: 2 layers, 4 query heads sharing 2 key/value heads, vocabulary 64.</summary>
        public static LlamaConfig Micro { get; } = new LlamaConfig
        {
            VocabSize = 64,
            HiddenSize = 32,
            IntermediateSize = 48,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 64,
            RmsNormEps = 1e-5,
            TieWordEmbeddings = false,
            BosTokenId = 1,
            EosTokenIds = new[] { 2 },
        };

        /// <summary>
        /// A fresh model whose weights are scaled up from Hugging Face's std 0.02, so attention is far from
        /// uniform and a wrong position, mask or head mapping shows in the logits.
        /// </summary>
        public static LlamaModel Sharp(LlamaConfig config, long seed = 7, float scale = 6f, ScalarType? dtype = null)
        {
            var model = new LlamaModel(config, dtype ?? ScalarType.Float32, torch.CPU, seed);
            using (torch.no_grad())
            {
                foreach ((string name, TorchSharp.Modules.Parameter parameter) in model.named_parameters())
                {
                    if (!name.EndsWith("norm.weight", StringComparison.Ordinal))
                    {
                        parameter.mul_(scale);
                    }
                }
            }
            return model;
        }

        /// <summary>Token ids (1, T) drawn from a seeded generator.</summary>
        public static Tensor Tokens(int count, int vocabulary, int seed, long batch = 1)
        {
            var random = new Random(seed);
            var ids = new long[batch * count];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = random.Next(vocabulary);
            }
            return torch.tensor(ids, new long[] { batch, count }, dtype: ScalarType.Int64);
        }

        /// <summary>Largest absolute difference of two tensors, as a double.</summary>
        public static double MaxDifference(Tensor a, Tensor b)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
        }
    }

    /// <summary>A folder under the temp path, deleted on dispose.</summary>
    internal sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "steerlm-model-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
