using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace SteerLM.Npc.Worker.Tests.Model
{
    [TestFixture]
    public sealed class NativeLibraryTests
    {
        [Test]
        public void TorchSharp_LoadsItsNativeLibrary_AndMultipliesMatrices()
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor a = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
            Tensor b = torch.tensor(new float[] { 1, 0, 0, 1, 1, 1 }, new long[] { 3, 2 });

            Tensor product = a.matmul(b);

            Assert.That(product.shape, Is.EqualTo(new long[] { 2, 2 }));
            Assert.That(product.data<float>().ToArray(), Is.EqualTo(new float[] { 4, 5, 10, 11 }));
        }
    }
}
