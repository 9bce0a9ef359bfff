using System.IO;
using TorchSharp;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>Names of element types as config.json ("torch_dtype") and safetensors ("dtype") spell them.</summary>
    public static class ScalarTypes
    {
        /// <summary>"float32", "bfloat16", "float16" (and "float"/"half"/"fp32"/"bf16"/"fp16") to a ScalarType.</summary>
        public static torch.ScalarType Parse(string name, string field = "dtype")
        {
            switch (name?.ToLowerInvariant())
            {
                case "float32":
                case "float":
                case "fp32":
                    return torch.ScalarType.Float32;
                case "bfloat16":
                case "bf16":
                    return torch.ScalarType.BFloat16;
                case "float16":
                case "half":
                case "fp16":
                    return torch.ScalarType.Float16;
                default:
                    throw new InvalidDataException($"{field} (\"{name}\") is not supported: use \"float32\", \"bfloat16\" or \"float16\"");
            }
        }

        /// <summary>The Hugging Face torch_dtype name of a floating point type.</summary>
        public static string ToTorchName(torch.ScalarType type) => type switch
        {
            torch.ScalarType.Float32 => "float32",
            torch.ScalarType.BFloat16 => "bfloat16",
            torch.ScalarType.Float16 => "float16",
            _ => throw new InvalidDataException($"dtype {type} is not supported for model weights: use Float32, BFloat16 or Float16"),
        };

        /// <summary>The safetensors dtype tag ("F32", "BF16", ...) of a type.</summary>
        public static string ToSafetensorsName(torch.ScalarType type) => type switch
        {
            torch.ScalarType.Float32 => "F32",
            torch.ScalarType.BFloat16 => "BF16",
            torch.ScalarType.Float16 => "F16",
            torch.ScalarType.Float64 => "F64",
            torch.ScalarType.Int64 => "I64",
            torch.ScalarType.Int32 => "I32",
            torch.ScalarType.Int16 => "I16",
            torch.ScalarType.Int8 => "I8",
            torch.ScalarType.Byte => "U8",
            torch.ScalarType.Bool => "BOOL",
            _ => throw new InvalidDataException($"dtype {type} cannot be written to safetensors"),
        };

        /// <summary>The type of a safetensors dtype tag, or null when TorchSharp has none for it.</summary>
        public static torch.ScalarType? FromSafetensorsName(string tag) => tag switch
        {
            "F32" => torch.ScalarType.Float32,
            "BF16" => torch.ScalarType.BFloat16,
            "F16" => torch.ScalarType.Float16,
            "F64" => torch.ScalarType.Float64,
            "I64" => torch.ScalarType.Int64,
            "I32" => torch.ScalarType.Int32,
            "I16" => torch.ScalarType.Int16,
            "I8" => torch.ScalarType.Int8,
            "U8" => torch.ScalarType.Byte,
            "BOOL" => torch.ScalarType.Bool,
            _ => null,
        };

        /// <summary>Bytes per element of a safetensors dtype tag, or 0 when unknown.</summary>
        public static int SafetensorsElementSize(string tag) => tag switch
        {
            "F64" or "I64" or "U64" => 8,
            "F32" or "I32" or "U32" => 4,
            "BF16" or "F16" or "I16" or "U16" => 2,
            "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
            _ => 0,
        };
    }
}
