using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using NUnit.Framework;
using SteerLM.Npc.Worker.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    [TestFixture]
    public sealed class SafetensorsTests
    {
        [Test]
        public void SaveThenLoad_GivesBackTheSameNamesTypesShapesAndValues()
        {
            using var folder = new TempFolder();
            using DisposeScope scope = torch.NewDisposeScope();
            var tensors = new Dictionary<string, Tensor>
            {
                ["a.weight"] = torch.randn(3, 5),
                ["b.bf16"] = torch.randn(4, 2).to(ScalarType.BFloat16),
                ["c.f16"] = torch.randn(7).to(ScalarType.Float16),
                ["d.ids"] = torch.tensor(new long[] { 1, -2, 3 }),
                ["e.i32"] = torch.tensor(new int[] { 7, 8 }),
                ["f.scalar"] = torch.tensor(2.5f),
            };
            string path = folder.File("t.safetensors");

            Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
            Dictionary<string, Tensor> loaded = Safetensors.Load(path);

            Assert.That(loaded.Keys, Is.EquivalentTo(tensors.Keys));
            foreach ((string name, Tensor expected) in tensors)
            {
                Assert.That(loaded[name].dtype, Is.EqualTo(expected.dtype), name);
                Assert.That(loaded[name].shape, Is.EqualTo(expected.shape), name);
                Assert.That(loaded[name].eq(expected).all().item<bool>(), Is.True, name);
            }
            using SafetensorsFile file = SafetensorsFile.Open(path);
            Assert.That(file.Metadata["format"], Is.EqualTo("pt"));
            Assert.That(file.GetEntry("b.bf16").Dtype, Is.EqualTo("BF16"));
            Assert.That(file.GetEntry("c.f16").Dtype, Is.EqualTo("F16"));
        }

        [Test]
        public void Load_WithADtype_ConvertsFloatingPointTensorsOnly()
        {
            using var folder = new TempFolder();
            using DisposeScope scope = torch.NewDisposeScope();
            string path = folder.File("t.safetensors");
            Tensor weight = torch.randn(4, 4);
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = weight, ["ids"] = torch.tensor(new long[] { 1, 2 }) });

            Dictionary<string, Tensor> loaded = Safetensors.Load(path, ScalarType.BFloat16);

            Assert.That(loaded["w"].dtype, Is.EqualTo(ScalarType.BFloat16));
            Assert.That(loaded["ids"].dtype, Is.EqualTo(ScalarType.Int64));
            Assert.That(loaded["w"].eq(weight.to(ScalarType.BFloat16)).all().item<bool>(), Is.True);
        }

        [Test]
        public void TheFileLayout_FollowsTheFormat_LengthPrefixedAlignedJsonThenData()
        {
            using var folder = new TempFolder();
            using DisposeScope scope = torch.NewDisposeScope();
            string path = folder.File("t.safetensors");
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = torch.tensor(new float[] { 1f, 2f }) });

            byte[] bytes = File.ReadAllBytes(path);
            long headerLength = BitConverter.ToInt64(bytes, 0);
            string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);

            Assert.That((8 + headerLength) % 8, Is.EqualTo(0));
            Assert.That(header.TrimEnd(), Is.EqualTo("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"));
            Assert.That(bytes.Skip(8 + (int)headerLength).ToArray(), Is.EqualTo(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(2f)).ToArray()));
        }

        [Test]
        public void AFileWrittenByAnotherTool_WithTensorsOutOfOrder_Reads()
        {
            using var folder = new TempFolder();
            string path = folder.File("other.safetensors");
            // As the reference writer lays it out: metadata first, the data of "b" before that of "a".
            string json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[4,8]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
            byte[] data = { 0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3C, 0x00, 0x44 }; // b = [1, -2] (bf16), a = [[1, 4]] (f16)
            WriteRaw(path, json, data);
            using DisposeScope scope = torch.NewDisposeScope();

            Dictionary<string, Tensor> loaded = Safetensors.Load(path, ScalarType.Float32);

            Assert.That(loaded["a"].data<float>().ToArray(), Is.EqualTo(new[] { 1f, 4f }));
            Assert.That(loaded["a"].shape, Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(loaded["b"].data<float>().ToArray(), Is.EqualTo(new[] { 1f, -2f }));
        }

        [Test]
        public void ATruncatedFile_RaisesAnErrorNamingTheFileAndTheTensor()
        {
            using var folder = new TempFolder();
            string path = folder.File("t.safetensors");
            using (torch.NewDisposeScope())
            {
                Safetensors.Save(path, new Dictionary<string, Tensor> { ["first"] = torch.ones(4), ["last.weight"] = torch.ones(100) });
            }
            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes.Take(bytes.Length - 10).ToArray());

            var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path).Dispose());

            Assert.That(error!.Message, Does.Contain(path).And.Contain("truncated").And.Contain("'last.weight'"));
        }

        [Test]
        public void AHeaderLongerThanTheFile_RaisesAnErrorNamingTheFile()
        {
            using var folder = new TempFolder();
            string path = folder.File("t.safetensors");
            File.WriteAllBytes(path, BitConverter.GetBytes(5000L).Concat(Encoding.UTF8.GetBytes("{}")).ToArray());

            Assert.That(() => SafetensorsFile.Open(path).Dispose(),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contains(path).And.Message.Contains("truncated"));
        }

        [TestCase("not json", "not valid JSON")]
        [TestCase("[1, 2]", "not a JSON object")]
        [TestCase("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "'w' (F32 [3]) needs 12 bytes")]
        [TestCase("{\"w\":{\"dtype\":\"Q4\",\"shape\":[3],\"data_offsets\":[0,8]}}", "'w' has unknown dtype")]
        [TestCase("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "'w' needs")]
        public void ABadHeader_RaisesAnErrorSayingWhatIsWrong(string json, string expected)
        {
            using var folder = new TempFolder();
            string path = folder.File("bad.safetensors");
            WriteRaw(path, json, new byte[16]);

            Assert.That(() => SafetensorsFile.Open(path).Dispose(),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contains("bad header").And.Message.Contains(expected));
        }

        [Test]
        public void ReadingWithTheWrongExpectedShape_RaisesAnErrorNamingBothShapes()
        {
            using var folder = new TempFolder();
            string path = folder.File("t.safetensors");
            using DisposeScope scope = torch.NewDisposeScope();
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = torch.ones(2, 3) });
            using SafetensorsFile file = SafetensorsFile.Open(path);

            Assert.That(() => file.Read("w", expectedShape: new long[] { 3, 2 }),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contains("'w' has shape [2, 3] (F32) but [3, 2] is expected"));
            Assert.That(() => file.Read("missing"),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contains("missing tensor 'missing'"));
        }

        private static void WriteRaw(string path, string json, byte[] data)
        {
            byte[] header = Encoding.UTF8.GetBytes(json);
            File.WriteAllBytes(path, BitConverter.GetBytes((long)header.Length).Concat(header).Concat(data).ToArray());
        }
    }
}
