using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>The hand-written row gather against torch's <c>index_select</c> + conversion, and its bounds checks.</summary>
public sealed class RowGatherTests
{
    [Theory]
    [InlineData(784)] // MNIST rows: 24 blocks of 32 bytes and one of 16
    [InlineData(37)]  // a width that leaves a scalar tail
    [InlineData(5)]   // narrower than one vector
    public void Byte_rows_come_out_as_torch_converts_them(int width)
    {
        using var generator = new Generator(21);
        using var scope = NewDisposeScope();
        var matrix = randint(0, 256, [50, width], dtype: ScalarType.Byte, generator: generator);
        var order = randperm(50, generator: generator);
        var buffer = full(12, width, float.NaN);
        var gather = new RowGather(matrix);
        var indices = order.data<long>().ToArray();

        gather.Gather(indices.AsSpan(3, 9), buffer, indices.AsSpan(12, 9));

        var expected = matrix.index_select(0, order.narrow(0, 3, 9)).to_type(ScalarType.Float32);
        Assert.True(buffer.narrow(0, 0, 9).equal(expected).all().item<bool>());
        Assert.True(buffer.narrow(0, 9, 3).isnan().all().item<bool>(), "rows past the batch were written");
    }

    [Fact]
    public void Float_rows_are_copied()
    {
        using var generator = new Generator(22);
        using var scope = NewDisposeScope();
        var matrix = randn(20, 30, generator: generator);
        var buffer = empty(4, 30);
        long[] indices = [19, 0, 7, 7];

        new RowGather(matrix).Gather(indices, buffer, []);

        Assert.True(buffer.equal(matrix.index_select(0, tensor(indices))).all().item<bool>());
    }

    [Fact]
    public void An_index_outside_the_matrix_is_refused_not_read()
    {
        using var scope = NewDisposeScope();
        var gather = new RowGather(zeros(10, 8, dtype: ScalarType.Byte));
        var buffer = empty(2, 8);

        Assert.Throws<IndexOutOfRangeException>(() => gather.Gather([3, 10], buffer, []));
        Assert.Throws<IndexOutOfRangeException>(() => gather.Gather([-1], buffer, []));
        // Rows to prefetch that do not exist are skipped (the last batch's "next" may run past the end).
        gather.Gather([3], buffer, [10, -5]);
    }

    [Fact]
    public void A_buffer_too_small_or_of_another_type_is_refused()
    {
        using var scope = NewDisposeScope();
        var gather = new RowGather(zeros(10, 8, dtype: ScalarType.Byte));

        Assert.Throws<ArgumentException>(() => gather.Gather([1, 2, 3], empty(2, 8), []));
        Assert.Throws<ArgumentException>(() => gather.Gather([1], empty(1, 8, dtype: ScalarType.Float64), []));
        Assert.Throws<ArgumentException>(() => new RowGather(zeros(10, 8, dtype: ScalarType.Int32)));
    }
}
