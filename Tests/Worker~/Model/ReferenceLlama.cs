using System;
using System.Collections.Generic;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    /// <summary>
    /// Hugging Face's LlamaForCausalLM written out plainly in double precision, one head and one position
    /// at a time, from the formulas rather than from the model's code: the yardstick the TorchSharp model
    /// is checked against. Slow; for very small configs only.
    /// </summary>
    internal sealed class ReferenceLlama
    {
        private readonly LlamaConfig _config;
        private readonly Dictionary<string, double[]> _weights = new();

        public ReferenceLlama(LlamaModel model)
        {
            _config = model.Config;
            foreach ((string name, Tensor tensor) in model.state_dict())
            {
                using Tensor flat = tensor.detach().to(ScalarType.Float64).contiguous().view(-1);
                _weights[name] = flat.data<double>().ToArray();
            }
        }

        /// <summary>Logits [position][token] for one sequence.</summary>
        public double[][] Logits(IReadOnlyList<long> ids)
        {
            int d = _config.HiddenSize, heads = _config.NumAttentionHeads, kvHeads = _config.KeyValueHeads;
            int hd = _config.HeadDim, ff = _config.IntermediateSize, vocab = _config.VocabSize, n = ids.Count;
            double[] embed = _weights["model.embed_tokens.weight"];
            var x = new double[n][];
            for (int t = 0; t < n; t++)
            {
                x[t] = new double[d];
                Array.Copy(embed, ids[t] * d, x[t], 0, d);
            }
            for (int layer = 0; layer < _config.NumHiddenLayers; layer++)
            {
                string p = $"model.layers.{layer}.";
                var q = new double[n][];
                var k = new double[n][];
                var v = new double[n][];
                for (int t = 0; t < n; t++)
                {
                    double[] h = Norm(x[t], _weights[p + "input_layernorm.weight"]);
                    q[t] = Rope(MatVec(_weights[p + "self_attn.q_proj.weight"], h, heads * hd), t, heads);
                    k[t] = Rope(MatVec(_weights[p + "self_attn.k_proj.weight"], h, kvHeads * hd), t, kvHeads);
                    v[t] = MatVec(_weights[p + "self_attn.v_proj.weight"], h, kvHeads * hd);
                }
                for (int t = 0; t < n; t++)
                {
                    var attended = new double[heads * hd];
                    for (int head = 0; head < heads; head++)
                    {
                        int kvHead = head / (heads / kvHeads);
                        var scores = new double[t + 1];
                        double max = double.NegativeInfinity;
                        for (int s = 0; s <= t; s++)
                        {
                            double dot = 0;
                            for (int i = 0; i < hd; i++)
                            {
                                dot += q[t][head * hd + i] * k[s][kvHead * hd + i];
                            }
                            scores[s] = dot / Math.Sqrt(hd);
                            max = Math.Max(max, scores[s]);
                        }
                        double sum = 0;
                        for (int s = 0; s <= t; s++)
                        {
                            scores[s] = Math.Exp(scores[s] - max);
                            sum += scores[s];
                        }
                        for (int s = 0; s <= t; s++)
                        {
                            for (int i = 0; i < hd; i++)
                            {
                                attended[head * hd + i] += scores[s] / sum * v[s][kvHead * hd + i];
                            }
                        }
                    }
                    double[] o = MatVec(_weights[p + "self_attn.o_proj.weight"], attended, d);
                    for (int i = 0; i < d; i++)
                    {
                        x[t][i] += o[i];
                    }
                    double[] h2 = Norm(x[t], _weights[p + "post_attention_layernorm.weight"]);
                    double[] gate = MatVec(_weights[p + "mlp.gate_proj.weight"], h2, ff);
                    double[] up = MatVec(_weights[p + "mlp.up_proj.weight"], h2, ff);
                    for (int i = 0; i < ff; i++)
                    {
                        gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
                    }
                    double[] down = MatVec(_weights[p + "mlp.down_proj.weight"], gate, d);
                    for (int i = 0; i < d; i++)
                    {
                        x[t][i] += down[i];
                    }
                }
            }
            double[] head0 = _weights.TryGetValue("lm_head.weight", out double[]? lmHead) ? lmHead : embed;
            var logits = new double[n][];
            for (int t = 0; t < n; t++)
            {
                logits[t] = MatVec(head0, Norm(x[t], _weights["model.norm.weight"]), vocab);
            }
            return logits;
        }

        private double[] Norm(double[] x, double[] weight)
        {
            double meanSquare = 0;
            foreach (double value in x)
            {
                meanSquare += value * value;
            }
            meanSquare /= x.Length;
            double scale = 1 / Math.Sqrt(meanSquare + _config.RmsNormEps);
            var result = new double[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                result[i] = x[i] * scale * weight[i];
            }
            return result;
        }

        // Rotates the pair (i, i + head_dim/2) of every head by position * theta^(-2i/head_dim).
        private double[] Rope(double[] x, int position, int heads)
        {
            int hd = _config.HeadDim, half = hd / 2;
            var result = new double[x.Length];
            for (int head = 0; head < heads; head++)
            {
                for (int i = 0; i < half; i++)
                {
                    double angle = position * Math.Pow(_config.RopeTheta, -2.0 * i / hd);
                    double a = x[head * hd + i], b = x[head * hd + i + half];
                    result[head * hd + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                    result[head * hd + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
                }
            }
            return result;
        }

        // weight is (rows, x.Length), row-major.
        private static double[] MatVec(double[] weight, double[] x, int rows)
        {
            var result = new double[rows];
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                int offset = r * x.Length;
                for (int c = 0; c < x.Length; c++)
                {
                    sum += weight[offset + c] * x[c];
                }
                result[r] = sum;
            }
            return result;
        }
    }
}
