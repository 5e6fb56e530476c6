using System.Buffers.Binary;
using System.Security.Cryptography;
using Experiments.Checkpoints;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Checkpoints;

/// <summary>
/// <c>model.safetensors</c> checked against the format's rules by an independent reader (<see cref="SafetensorsChecker"/>),
/// with PyTorch's state_dict names, dtypes and shapes; saved and loaded back bit for bit; and every way of not
/// loading: a damaged file, another architecture, a file changed since the history recorded it.
/// </summary>
public sealed class ModelCheckpointTests : IDisposable
{
    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private CheckpointRecord Save(nn.Module model, string folder = "1/test") =>
        ModelCheckpoint.Save(results.Combine(folder), model, CheckpointModels.Config(), results.Path);

    [Theory]
    [MemberData(nameof(CheckpointModels.Kinds), MemberType = typeof(CheckpointModels))]
    public void The_weights_file_follows_the_safetensors_rules_with_the_names_dtypes_and_shapes_of_pytorchs_state_dict(string kind)
    {
        using var model = CheckpointModels.Create(kind);
        Save(model);

        var tensors = SafetensorsChecker.Check(File.ReadAllBytes(results.Combine("1", "test", CheckpointFiles.Model)));

        var expected = CheckpointModels.PyTorchState(kind);
        Assert.Equal(expected.Select(e => e.Name), tensors.Select(t => t.Name));
        Assert.Equal(expected.Select(e => e.DType), tensors.Select(t => t.DType));
        Assert.Equal(expected.Select(e => string.Join(",", e.Shape)), tensors.Select(t => string.Join(",", t.Shape)));

        // And the bytes are the model's values, little-endian.
        var state = model.state_dict();
        foreach (var tensor in tensors)
        {
            var source = state[tensor.Name];
            if (tensor.DType == "I64")
            {
                Assert.Equal(source.data<long>().ToArray(), new[] { BinaryPrimitives.ReadInt64LittleEndian(tensor.Data) });
                Assert.True(source.item<long>() > 0, "num_batches_tracked counts the batches batch norm saw");
            }
            else
            {
                Assert.Equal(source.data<float>().ToArray(), SafetensorsChecker.Floats(tensor));
            }
        }
    }

    [Theory]
    [MemberData(nameof(CheckpointModels.Kinds), MemberType = typeof(CheckpointModels))]
    public void The_config_lists_the_tensors_as_the_file_holds_them_and_the_record_has_each_files_sha256(string kind)
    {
        using var model = CheckpointModels.Create(kind);
        var record = Save(model);

        Assert.Equal("1/test", record.Directory);
        Assert.Equal(results.Combine("1", "test"), record.FullDirectory(results.Path));
        Assert.Equal([CheckpointFiles.Model, CheckpointFiles.Config], record.Files.Select(f => f.Name));
        foreach (var file in record.Files)
        {
            var bytes = File.ReadAllBytes(results.Combine("1", "test", file.Name));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.Sha256);
            Assert.Equal(bytes.LongLength, file.Bytes);
        }

        var config = ModelCheckpoint.ReadConfig(results.Combine("1", "test"));
        var expected = CheckpointModels.PyTorchState(kind);
        Assert.Equal(expected.Select(e => (e.Name, e.DType, string.Join(",", e.Shape))), config.Tensors.Select(t => (t.Name, t.DType, string.Join(",", t.Shape))));
    }

    [Fact]
    public void A_folder_outside_the_results_folder_is_recorded_by_its_full_path()
    {
        using var elsewhere = new TemporaryDirectory();
        using var model = CheckpointModels.Create("linear");
        var record = ModelCheckpoint.Save(elsewhere.Combine("model"), model, CheckpointModels.Config(), results.Path);
        Assert.Equal(elsewhere.Combine("model"), record.Directory);
        Assert.Equal(elsewhere.Combine("model"), record.FullDirectory(results.Path));

        // A sibling whose name only starts with ".." is inside.
        var inside = ModelCheckpoint.Save(results.Combine("..hidden"), model, CheckpointModels.Config(), results.Path);
        Assert.Equal("..hidden", inside.Directory);
    }

    [Theory]
    [MemberData(nameof(CheckpointModels.Kinds), MemberType = typeof(CheckpointModels))]
    public void Saved_and_loaded_into_a_fresh_model_it_computes_the_same_outputs_and_saves_the_same_bytes(string kind)
    {
        using var trained = CheckpointModels.Create(kind, seed: 1);
        Save(trained, "1/a");
        using var fresh = CheckpointModels.Create(kind, seed: 2);
        using var input = rand(64, 784);
        using (var before = fresh.forward(input))
        using (var other = trained.forward(input))
        {
            Assert.False(Same(before, other), "the two seeds must give different models, or the test proves nothing");
        }

        ModelCheckpoint.LoadWeights(results.Combine("1", "a"), fresh);

        using (var expected = trained.forward(input))
        using (var actual = fresh.forward(input))
        {
            Assert.True(Same(expected, actual), "the loaded model's outputs differ");
        }

        Save(fresh, "1/b");
        Assert.Equal(File.ReadAllBytes(results.Combine("1", "a", CheckpointFiles.Model)), File.ReadAllBytes(results.Combine("1", "b", CheckpointFiles.Model)));
    }

    [Fact]
    public void Read_tensors_gives_every_entry_with_its_dtype()
    {
        using var model = CheckpointModels.Create("cnn");
        Save(model);
        var tensors = ModelCheckpoint.ReadTensors(results.Combine("1", "test"));
        try
        {
            Assert.Equal(CheckpointModels.PyTorchState("cnn").Select(e => e.Name).Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(ScalarType.Int64, tensors["bn1.num_batches_tracked"].dtype);
            Assert.Equal(2L, tensors["bn1.num_batches_tracked"].item<long>());
            Assert.True(Same(tensors["bn2.running_var"], model.state_dict()["bn2.running_var"]));
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [Theory]
    [MemberData(nameof(CheckpointModels.Kinds), MemberType = typeof(CheckpointModels))]
    public void Loading_weights_leaves_no_tensor_alive_that_it_made(string kind)
    {
        using var model = CheckpointModels.Create(kind);
        Save(model);
        using var target = CheckpointModels.Create(kind, seed: 3);
        var statistics = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics;
        var live = statistics.ThreadTotalLiveCount;

        ModelCheckpoint.LoadWeights(results.Combine("1", "test"), target);

        Assert.Equal(live, statistics.ThreadTotalLiveCount);
    }

    public static TheoryData<string, string> DamagedFiles => new()
    {
        { "truncated", "but 31396 follow the header (truncated, or bytes added)" },
        { "one byte more", "but 31401 follow the header (truncated, or bytes added)" },
        { "empty", "fewer than the 8 of the header's length" },
        { "header too long", "does not fit in its" },
        { "not JSON", "its header is not UTF-8 JSON" },
        { "not UTF-8", "its header is not UTF-8 JSON" },
        { "a JSON array", "its header is a JSON Array, not an object" },
        { "unknown dtype", "has dtype 'F31', which the format does not define" },
        { "range too short", "needs 31360 bytes, but its data_offsets [0, 31356] hold 31356" },
        { "overlap", "tensor 'linear.bias' starts at byte 31356 of the data, but the data before it ends at 31360 (a gap or an overlap)" },
        { "twice the same name", "names 'linear.bias' twice" },
    };

    [Theory]
    [MemberData(nameof(DamagedFiles))]
    public void A_damaged_weights_file_is_an_error_naming_the_file_and_what_is_wrong_and_the_model_keeps_its_weights(string damage, string message)
    {
        using var model = CheckpointModels.Create("linear");
        Save(model);
        var path = results.Combine("1", "test", CheckpointFiles.Model);
        File.WriteAllBytes(path, Damage(File.ReadAllBytes(path), damage));
        using var target = CheckpointModels.Create("linear", seed: 5);
        var before = target.state_dict()["linear.weight"].clone();

        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.LoadWeights(results.Combine("1", "test"), target));

        Assert.Contains($"The checkpoint file '{path}' is not a readable safetensors file", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.True(Same(before, target.state_dict()["linear.weight"]));
    }

    [Fact]
    public void A_missing_weights_file_is_an_error_naming_it()
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.ReadTensors(results.Combine("nothing")));
        Assert.Equal($"The checkpoint file '{results.Combine("nothing", CheckpointFiles.Model)}' is not a readable safetensors file: it does not exist", error.Message);
    }

    [Fact]
    public void Loading_into_another_architecture_names_what_differs_and_changes_nothing()
    {
        using var linear = CheckpointModels.Create("linear");
        Save(linear);
        var directory = results.Combine("1", "test");
        var path = Path.Combine(directory, CheckpointFiles.Model);

        using var mlp = CheckpointModels.Create("mlp");
        var missing = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.LoadWeights(directory, mlp));
        Assert.Equal($"The checkpoint '{path}' has no tensor 'fc1.weight', which the model has: it was saved from another architecture", missing.Message);

        using var wider = new CheckpointModels.LinearModel(784, 12);
        var before = wider.state_dict()["linear.bias"].clone();
        var shape = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.LoadWeights(directory, wider));
        Assert.Equal($"The checkpoint '{path}' has 'linear.weight' of shape [10, 784], but the model's is [12, 784]: it was saved from another architecture", shape.Message);
        Assert.True(Same(before, wider.state_dict()["linear.bias"]), "a failed load must leave the model as it was");

        // A model with some of the checkpoint's entries only: the first entry it does not have.
        using var cnn = CheckpointModels.Create("cnn");
        Save(cnn, "1/cnn");
        using var convOnly = new ConvOnly();
        var extra = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.LoadWeights(results.Combine("1", "cnn"), convOnly));
        Assert.Equal($"The checkpoint '{results.Combine("1", "cnn", CheckpointFiles.Model)}' has a tensor 'bn1.weight' that the model does not have: it was saved from another architecture", extra.Message);
    }

    [Fact]
    public void Verify_accepts_the_files_as_written_and_names_a_changed_byte_or_a_missing_file()
    {
        using var model = CheckpointModels.Create("linear");
        var record = Save(model);
        var directory = record.FullDirectory(results.Path);
        ModelCheckpoint.Verify(directory, record);

        var path = Path.Combine(directory, CheckpointFiles.Model);
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 1;
        File.WriteAllBytes(path, bytes);
        var changed = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Verify(directory, record));
        Assert.StartsWith($"The checkpoint file '{path}' changed since it was written: its SHA-256 is {Convert.ToHexStringLower(SHA256.HashData(bytes))}, but the run history recorded {record.Files[0].Sha256}", changed.Message, StringComparison.Ordinal);

        File.Delete(Path.Combine(directory, CheckpointFiles.Config));
        bytes[^1] ^= 1;
        File.WriteAllBytes(path, bytes);
        var missing = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Verify(directory, record));
        Assert.Equal($"The checkpoint file '{Path.Combine(directory, CheckpointFiles.Config)}' is missing (deleted or moved since it was written)", missing.Message);
    }

    /// <summary>The weights file of the linear model (header of 147 bytes, then 31,400 of data) damaged as <paramref name="damage"/> says.</summary>
    private static byte[] Damage(byte[] file, string damage)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = System.Text.Encoding.UTF8.GetString(file, 8, headerLength);
        byte[] WithHeader(string text)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            var result = new byte[8 + bytes.Length + file.Length - 8 - headerLength];
            BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)bytes.Length);
            bytes.CopyTo(result, 8);
            file.AsSpan(8 + headerLength).CopyTo(result.AsSpan(8 + bytes.Length));
            return result;
        }

        return damage switch
        {
            "truncated" => file[..^4],
            "one byte more" => [.. file, 0],
            "empty" => [],
            "header too long" => [.. BitConverter.GetBytes((ulong)file.Length), .. file[8..]],
            "not JSON" => WithHeader(header.Replace("{", "<", StringComparison.Ordinal)),
            "not UTF-8" => WithHeader(header)[..8].Concat(new byte[] { 0xFF, 0xFE }).Concat(WithHeader(header)[10..]).ToArray(),
            "a JSON array" => WithHeader("[" + header + "]"),
            "unknown dtype" => WithHeader(header.Replace("\"F32\"", "\"F31\"", StringComparison.Ordinal)),
            "range too short" => WithHeader(header.Replace("[0,31360]", "[0,31356]", StringComparison.Ordinal).Replace("[31360,31400]", "[31356,31400]", StringComparison.Ordinal)),
            "overlap" => WithHeader(header.Replace("[31360,31400]", "[31356,31396]", StringComparison.Ordinal)),
            "twice the same name" => WithHeader(header.Replace("\"linear.weight\"", "\"linear.bias\"", StringComparison.Ordinal)),
            _ => throw new ArgumentOutOfRangeException(nameof(damage), damage, null),
        };
    }

    /// <summary>The CNN's first layer alone.</summary>
    private sealed class ConvOnly : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Conv2d conv1;

        public ConvOnly()
            : base(nameof(ConvOnly))
        {
            conv1 = nn.Conv2d(1, 6, 5, padding: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => conv1.forward(input);
    }
}
