using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Model
{
    /// <summary>
    /// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
    /// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>, then the
    /// raw little-endian bytes (offsets count from the end of the header; tensor bytes are copied as they are,
    /// so this runs on little-endian hosts, which is every host TorchSharp ships for). F32, BF16 and F16 are the weight
    /// types; integer and F64 tensors read too. Every error names the file and, where there is one, the tensor.
    /// </summary>
    public static class Safetensors
    {
        /// <summary>The format's limit on the JSON header.</summary>
        public const long MaxHeaderBytes = 100_000_000;

        /// <summary>
        /// Reads every tensor of a file into memory, converted to <paramref name="dtype"/> (floating point
        /// tensors only; null keeps the file's types) on <paramref name="device"/> (null: CPU).
        /// The caller owns the tensors.
        /// </summary>
        public static Dictionary<string, Tensor> Load(string path, ScalarType? dtype = null, Device? device = null)
        {
            using SafetensorsFile file = SafetensorsFile.Open(path);
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            try
            {
                foreach (SafetensorsEntry entry in file.Tensors)
                {
                    ScalarType? type = entry.ScalarType is { } fileType && IsFloatingPoint(fileType) ? dtype : null;
                    tensors.Add(entry.Name, file.Read(entry.Name, type, device));
                }
            }
            catch
            {
                foreach (Tensor t in tensors.Values)
                {
                    t.Dispose();
                }
                throw;
            }
            return tensors;
        }

        /// <summary>
        /// Writes tensors (in the order given) and optional string metadata to <paramref name="path"/>.
        /// Each tensor is written in its own element type; convert first to store another.
        /// The file is written to a temporary name and renamed, so a crash never leaves half a file.
        /// </summary>
        public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        {
            List<KeyValuePair<string, Tensor>> list = tensors.ToList();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, Tensor> pair in list)
            {
                if (pair.Key == "__metadata__" || !names.Add(pair.Key))
                {
                    throw new ArgumentException($"{path}: tensor name '{pair.Key}' is reserved or used twice", nameof(tensors));
                }
            }

            byte[] header = BuildHeader(path, list, metadata);
            string temp = path + ".tmp";
            try
            {
                WriteFile(temp, header, list);
                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }

        private static void WriteFile(string temp, byte[] header, List<KeyValuePair<string, Tensor>> list)
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (KeyValuePair<string, Tensor> pair in list)
                {
                    using DisposeScope scope = torch.NewDisposeScope();
                    Tensor cpu = pair.Value.detach().cpu().contiguous();
                    ForEachChunk(cpu, chunk => stream.Write(chunk));
                }
            }
        }

        private static byte[] BuildHeader(string path, List<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                if (metadata is { Count: > 0 })
                {
                    json.WriteStartObject("__metadata__");
                    foreach (KeyValuePair<string, string> pair in metadata)
                    {
                        json.WriteString(pair.Key, pair.Value);
                    }
                    json.WriteEndObject();
                }
                long offset = 0;
                foreach (KeyValuePair<string, Tensor> pair in tensors)
                {
                    Tensor t = pair.Value;
                    string tag;
                    try
                    {
                        tag = ScalarTypes.ToSafetensorsName(t.dtype);
                    }
                    catch (InvalidDataException ex)
                    {
                        throw new InvalidDataException($"{path}: tensor '{pair.Key}': {ex.Message}", ex);
                    }
                    long bytes = t.NumberOfElements * t.ElementSize;
                    json.WriteStartObject(pair.Key);
                    json.WriteString("dtype", tag);
                    json.WriteStartArray("shape");
                    foreach (long dim in t.shape)
                    {
                        json.WriteNumberValue(dim);
                    }
                    json.WriteEndArray();
                    json.WriteStartArray("data_offsets");
                    json.WriteNumberValue(offset);
                    json.WriteNumberValue(offset + bytes);
                    json.WriteEndArray();
                    json.WriteEndObject();
                    offset += bytes;
                }
                json.WriteEndObject();
            }
            // The header is padded with spaces so the data starts 8-byte aligned, as the reference writer does.
            int padding = (int)((8 - buffer.Length % 8) % 8);
            for (int i = 0; i < padding; i++)
            {
                buffer.WriteByte((byte)' ');
            }
            return buffer.ToArray();
        }

        /// <summary>Calls <paramref name="action"/> on the bytes of a contiguous CPU tensor, at most 1 GiB at a time.</summary>
        internal static void ForEachChunk(Tensor contiguousCpu, SpanAction action)
        {
            long count = contiguousCpu.NumberOfElements;
            if (count == 0)
            {
                return;
            }
            long perChunk = Math.Max(1, (1L << 30) / contiguousCpu.ElementSize);
            if (count <= perChunk)
            {
                action(contiguousCpu.bytes);
                return;
            }
            using Tensor flat = contiguousCpu.view(-1);
            for (long start = 0; start < count; start += perChunk)
            {
                using Tensor part = flat.narrow(0, start, Math.Min(perChunk, count - start));
                action(part.bytes);
            }
        }

        internal delegate void SpanAction(Span<byte> bytes);

        internal static bool IsFloatingPoint(ScalarType type) =>
            type is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64;

        internal static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
    }

    /// <summary>One tensor's entry in a safetensors header.</summary>
    public sealed class SafetensorsEntry
    {
        internal SafetensorsEntry(string name, string dtype, long[] shape, long begin, long end)
        {
            Name = name;
            Dtype = dtype;
            Shape = shape;
            Begin = begin;
            End = end;
        }

        /// <summary>The tensor's name (a Hugging Face parameter name for model weights).</summary>
        public string Name { get; }

        /// <summary>The dtype tag as written: "F32", "BF16", "F16", "I64", ...</summary>
        public string Dtype { get; }

        /// <summary>The tensor's shape.</summary>
        public IReadOnlyList<long> Shape { get; }

        /// <summary>Start of the data, counted from the end of the header.</summary>
        public long Begin { get; }

        /// <summary>End of the data (exclusive), counted from the end of the header.</summary>
        public long End { get; }

        /// <summary>The TorchSharp type for <see cref="Dtype"/>, or null when TorchSharp has none.</summary>
        public ScalarType? ScalarType => ScalarTypes.FromSafetensorsName(Dtype);

        /// <summary>Number of elements.</summary>
        public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    }

    /// <summary>
    /// An open safetensors file: the header is parsed and checked on open; tensors are read one at a time,
    /// so a model loads without holding a second copy of every weight.
    /// </summary>
    public sealed class SafetensorsFile : IDisposable
    {
        private readonly FileStream _stream;
        private readonly long _dataStart;
        private readonly Dictionary<string, SafetensorsEntry> _byName;

        private SafetensorsFile(string path, FileStream stream, long dataStart, List<SafetensorsEntry> entries, Dictionary<string, string> metadata)
        {
            Path = path;
            _stream = stream;
            _dataStart = dataStart;
            Tensors = entries;
            Metadata = metadata;
            _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        }

        /// <summary>The file's path, as given.</summary>
        public string Path { get; }

        /// <summary>The header's <c>__metadata__</c> (empty when absent).</summary>
        public IReadOnlyDictionary<string, string> Metadata { get; }

        /// <summary>Every tensor entry, in order of their data.</summary>
        public IReadOnlyList<SafetensorsEntry> Tensors { get; }

        /// <summary>True when the file has a tensor of that name.</summary>
        public bool Contains(string name) => _byName.ContainsKey(name);

        /// <summary>The entry of a tensor; throws naming the file and tensor when there is none.</summary>
        public SafetensorsEntry GetEntry(string name)
        {
            if (!_byName.TryGetValue(name, out SafetensorsEntry? entry))
            {
                throw new InvalidDataException($"{Path}: missing tensor '{name}'");
            }
            return entry;
        }

        /// <summary>Opens a file and checks its header against the file's length.</summary>
        public static SafetensorsFile Open(string path)
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            try
            {
                long fileLength = stream.Length;
                if (fileLength < 8)
                {
                    throw Bad(path, $"truncated file: {fileLength} bytes, shorter than the 8-byte header length");
                }
                Span<byte> lengthBytes = stackalloc byte[8];
                stream.ReadExactly(lengthBytes);
                ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
                if (headerLength > Safetensors.MaxHeaderBytes)
                {
                    throw Bad(path, $"bad header: header length {headerLength} is over the format's limit of {Safetensors.MaxHeaderBytes} bytes");
                }
                if ((long)headerLength > fileLength - 8)
                {
                    throw Bad(path, $"truncated file: the header is {headerLength} bytes but only {fileLength - 8} follow the length");
                }
                byte[] header = new byte[headerLength];
                stream.ReadExactly(header);
                long dataStart = 8 + (long)headerLength;
                var (entries, metadata) = ParseHeader(path, header, fileLength - dataStart);
                return new SafetensorsFile(path, stream, dataStart, entries, metadata);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Reads one tensor as <paramref name="dtype"/> (null: the file's type) on <paramref name="device"/>
        /// (null: CPU). When <paramref name="expectedShape"/> is given, a different shape is an error naming both.
        /// </summary>
        public Tensor Read(string name, ScalarType? dtype = null, Device? device = null, long[]? expectedShape = null)
        {
            SafetensorsEntry entry = GetEntry(name);
            if (expectedShape is not null)
            {
                CheckShape(entry, expectedShape);
            }
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor raw = ReadRaw(entry);
            ScalarType target = dtype ?? raw.dtype;
            if (dtype is { } wanted && wanted != raw.dtype && !(Safetensors.IsFloatingPoint(wanted) && Safetensors.IsFloatingPoint(raw.dtype)))
            {
                throw new InvalidDataException(
                    $"{Path}: tensor '{name}' has dtype {entry.Dtype} but {wanted} was asked for (only floating point types convert)");
            }
            Tensor result = target == raw.dtype && (device is null || device.type == DeviceType.CPU)
                ? raw
                : raw.to(target, device ?? torch.CPU);
            return result.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Copies one tensor into <paramref name="destination"/> (a parameter or buffer), converting the element type
        /// and moving it to the destination's device. Throws naming the file, the tensor and both shapes when they differ,
        /// and both dtypes when the file holds a non-floating-point tensor for a floating-point destination.
        /// </summary>
        public void ReadInto(string name, Tensor destination)
        {
            SafetensorsEntry entry = GetEntry(name);
            CheckShape(entry, destination.shape);
            if (entry.ScalarType is not { } fileType || (Safetensors.IsFloatingPoint(destination.dtype) && !Safetensors.IsFloatingPoint(fileType)))
            {
                throw new InvalidDataException(
                    $"{Path}: tensor '{name}' has dtype {entry.Dtype} but the model expects a floating point tensor ({destination.dtype})");
            }
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor raw = ReadRaw(entry);
            using (torch.no_grad())
            {
                destination.copy_(raw);
            }
        }

        /// <summary>Closes the file.</summary>
        public void Dispose() => _stream.Dispose();

        private void CheckShape(SafetensorsEntry entry, IReadOnlyList<long> expected)
        {
            if (!entry.Shape.SequenceEqual(expected))
            {
                throw new InvalidDataException(
                    $"{Path}: tensor '{entry.Name}' has shape {Safetensors.FormatShape(entry.Shape)} ({entry.Dtype}) " +
                    $"but {Safetensors.FormatShape(expected)} is expected");
            }
        }

        private Tensor ReadRaw(SafetensorsEntry entry)
        {
            if (entry.ScalarType is not { } type)
            {
                throw new InvalidDataException($"{Path}: tensor '{entry.Name}' has dtype {entry.Dtype}, which TorchSharp cannot hold");
            }
            Tensor tensor = torch.empty(entry.Shape.ToArray(), dtype: type, device: torch.CPU);
            _stream.Position = _dataStart + entry.Begin;
            try
            {
                Safetensors.ForEachChunk(tensor, span => _stream.ReadExactly(span));
            }
            catch (EndOfStreamException ex)
            {
                throw new InvalidDataException($"{Path}: truncated file: tensor '{entry.Name}' ends past the end of the file", ex);
            }
            return tensor;
        }

        private static (List<SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' ').TrimEnd((byte)0));
            }
            catch (JsonException ex)
            {
                throw Bad(path, $"bad header: not valid JSON ({ex.Message})");
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw Bad(path, "bad header: the header is not a JSON object");
                }
                var entries = new List<SafetensorsEntry>();
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (property.Name == "__metadata__")
                    {
                        if (property.Value.ValueKind != JsonValueKind.Object)
                        {
                            throw Bad(path, "bad header: __metadata__ is not an object");
                        }
                        foreach (JsonProperty item in property.Value.EnumerateObject())
                        {
                            metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : item.Value.GetRawText();
                        }
                        continue;
                    }
                    entries.Add(ParseEntry(path, property, dataLength));
                }
                entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
                return (entries, metadata);
            }
        }

        private static SafetensorsEntry ParseEntry(string path, JsonProperty property, long dataLength)
        {
            string name = property.Name;
            JsonElement value = property.Value;
            if (value.ValueKind != JsonValueKind.Object
                || !value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
                || !value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
                || !value.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
                || offsetsElement.GetArrayLength() != 2)
            {
                throw Bad(path, $"bad header: tensor '{name}' needs \"dtype\", \"shape\" and two \"data_offsets\"");
            }
            string dtype = dtypeElement.GetString()!;
            var shape = new long[shapeElement.GetArrayLength()];
            int i = 0;
            foreach (JsonElement dim in shapeElement.EnumerateArray())
            {
                if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0)
                {
                    throw Bad(path, $"bad header: tensor '{name}' has a bad shape {shapeElement.GetRawText()}");
                }
                shape[i++] = d;
            }
            long[] offsets = offsetsElement.EnumerateArray()
                .Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out long v) ? v : -1)
                .ToArray();
            long begin = offsets[0], end = offsets[1];
            if (begin < 0 || end < begin)
            {
                throw Bad(path, $"bad header: tensor '{name}' has bad data_offsets {offsetsElement.GetRawText()}");
            }
            int elementSize = ScalarTypes.SafetensorsElementSize(dtype);
            if (elementSize == 0)
            {
                throw Bad(path, $"bad header: tensor '{name}' has unknown dtype \"{dtype}\"");
            }
            long needed = shape.Aggregate(1L, (a, b) => a * b) * elementSize;
            if (end - begin != needed)
            {
                throw Bad(path,
                    $"bad header: tensor '{name}' ({dtype} {Safetensors.FormatShape(shape)}) needs {needed} bytes but data_offsets hold {end - begin}");
            }
            if (end > dataLength)
            {
                throw Bad(path, $"truncated file: tensor '{name}' needs data up to byte {end} but the data section has {dataLength} bytes");
            }
            return new SafetensorsEntry(name, dtype, shape, begin, end);
        }

        private static InvalidDataException Bad(string path, string message) => new($"{path}: {message}");
    }
}
