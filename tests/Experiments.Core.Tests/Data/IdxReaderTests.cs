using Experiments.Data;

namespace Experiments.Core.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string WriteFile(string name, byte[] content, bool gzip) =>
        Idx.Write(_temp.Combine(gzip ? name + ".gz" : name), gzip ? Idx.Gzip(content) : content);

    private DataFormatException ImagesError(byte[] content, bool gzip, string name = "images-idx3-ubyte")
    {
        string path = WriteFile(name, content, gzip);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Images_round_trip_into_one_contiguous_buffer(bool gzip)
    {
        var content = Idx.Images(3, 4, 5, seed: 9);
        string path = WriteFile("images-idx3-ubyte", content, gzip);

        var images = IdxReader.ReadImages(path);

        Assert.Equal((3, 4, 5), (images.Count, images.Rows, images.Columns));
        Assert.Equal(content[16..], images.Pixels);
        Assert.Equal(Idx.Sha256(content), images.Sha256);
        Assert.Equal(path, images.FilePath);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Labels_round_trip(bool gzip)
    {
        var content = Idx.Labels(0, 9, 3, 3, 7);
        string path = WriteFile("labels-idx1-ubyte", content, gzip);

        var labels = IdxReader.ReadLabels(path, numClasses: 10);

        Assert.Equal(new byte[] { 0, 9, 3, 3, 7 }, labels.Labels);
        Assert.Equal(5, labels.Count);
        Assert.Equal(Idx.Sha256(content), labels.Sha256);
    }

    [Fact]
    public void Skips_the_hash_when_asked()
    {
        string path = WriteFile("labels-idx1-ubyte", Idx.Labels(1, 2), gzip: true);

        Assert.Null(IdxReader.ReadLabels(path, 3, computeSha256: false).Sha256);
    }

    [Fact]
    public void Compression_is_told_by_the_magic_bytes_not_the_name()
    {
        var content = Idx.Images(2, 3, 3);
        string gzipWithoutExtension = Idx.Write(_temp.Combine("a-idx3-ubyte"), Idx.Gzip(content));
        string rawWithGzExtension = Idx.Write(_temp.Combine("b-idx3-ubyte.gz"), content);

        Assert.Equal(content[16..], IdxReader.ReadImages(gzipWithoutExtension).Pixels);
        Assert.Equal(content[16..], IdxReader.ReadImages(rawWithGzExtension).Pixels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_payload_says_how_much_is_missing(bool gzip)
    {
        var content = Idx.Images(3, 4, 5)[..^7];

        var e = ImagesError(content, gzip);

        Assert.Equal("truncated: header says 3 images of 4x5 (60 bytes) but only 53 bytes follow", e.Problem);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Trailing_bytes_are_an_error(bool gzip)
    {
        byte[] content = [.. Idx.Images(3, 4, 5), 1, 2, 3];

        var e = ImagesError(content, gzip);

        Assert.Equal("trailing data: header says 3 images of 4x5 (60 bytes) but 63 bytes follow (3 too many)", e.Problem);
    }

    [Fact]
    public void Truncated_labels_are_reported_as_labels()
    {
        string path = WriteFile("labels-idx1-ubyte", Idx.Labels(1, 2, 3)[..^1], gzip: true);

        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(path, 10));

        Assert.Equal($"{path}: truncated: header says 3 labels (3 bytes) but only 2 bytes follow", e.Message);
    }

    [Fact]
    public void Wrong_magic_is_not_an_idx_file()
    {
        var content = Idx.Images(1, 2, 2);
        content[0] = 0x12;
        content[1] = 0x34;

        var e = ImagesError(content, gzip: true);

        Assert.Equal("not an IDX file: magic number is 0x12340803, expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions)", e.Problem);
    }

    [Fact]
    public void Wrong_element_type_is_named()
    {
        var content = Idx.Images(1, 2, 2);
        content[2] = 0x0D;

        var e = ImagesError(content, gzip: false);

        Assert.StartsWith("unsupported IDX element type 0x0D (float32) in magic number 0x00000D03: expected 0x08 (unsigned byte)", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_labels_file_read_as_images_has_the_wrong_dimension_count()
    {
        var e = ImagesError(Idx.Labels(1, 2, 3), gzip: true);

        Assert.Equal(
            "wrong number of dimensions: magic number 0x00000801 declares 1, expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions); this looks like a labels file",
            e.Problem);
    }

    [Fact]
    public void An_images_file_read_as_labels_has_the_wrong_dimension_count()
    {
        string path = WriteFile("images-idx3-ubyte", Idx.Images(1, 2, 2), gzip: false);

        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(path, 10));

        Assert.Contains("declares 3, expected 0x00000801 (IDX labels: unsigned bytes, 1 dimension); this looks like an images file", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, 28u, 28u, "header says 0 images of 28x28 (0 bytes): the image count must be positive")]
    [InlineData(10u, 0u, 28u, "header says 10 images of 0x28 (0 bytes): rows and columns must be positive")]
    [InlineData(10u, 28u, 0u, "header says 10 images of 28x0 (0 bytes): rows and columns must be positive")]
    [InlineData(1u, 100000u, 28u, "header says 1 images of 100000x28 (2800000 bytes): images larger than 4096x4096 are not supported")]
    [InlineData(4294967295u, 28u, 28u, "header says 4294967295 images of 28x28 (3367254359280 bytes), more than the 2147483591 bytes one buffer can hold")]
    public void Bad_dimensions_are_rejected_before_allocating(uint count, uint rows, uint columns, string problem)
    {
        byte[] content = [.. Idx.Header(0x08, count, rows, columns), 1, 2, 3, 4];

        Assert.Equal(problem, ImagesError(content, gzip: true).Problem);
        Assert.Equal(problem, ImagesError(content, gzip: false, name: "raw-idx3-ubyte").Problem);
    }

    [Fact]
    public void A_gzip_header_claiming_more_than_deflate_can_hold_is_truncated_without_a_huge_allocation()
    {
        byte[] content = [.. Idx.Header(0x08, 2_000_000, 28, 28), 1, 2, 3, 4, 5, 6, 7];
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var e = ImagesError(content, gzip: true);

        Assert.Equal("truncated: header says 2000000 images of 28x28 (1568000000 bytes) but only 7 bytes follow", e.Problem);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 100_000_000, "the reader allocated the header's claimed size");
    }

    [Fact]
    public void A_header_cut_inside_the_dimensions_is_truncated()
    {
        var e = ImagesError(Idx.Images(1, 2, 2)[..10], gzip: true);

        Assert.Equal("truncated: the decompressed content ends after 10 bytes, but its header needs 16 for 3 dimension sizes", e.Problem);
    }

    [Fact]
    public void A_file_shorter_than_the_magic_number_is_truncated()
    {
        var e = ImagesError([0, 0], gzip: false);

        Assert.Equal("truncated: the file is 2 bytes long, too short for the 4-byte IDX magic number", e.Problem);
    }

    [Fact]
    public void An_empty_file_is_named_as_such()
    {
        var e = ImagesError([], gzip: false);

        Assert.Equal("empty file (0 bytes): expected an IDX images file", e.Problem);
    }

    [Fact]
    public void Labels_must_be_below_the_class_count()
    {
        string path = WriteFile("labels-idx1-ubyte", Idx.Labels(0, 1, 2, 10, 4), gzip: true);

        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(path, numClasses: 10));

        Assert.Equal($"{path}: label 10 at index 3 is out of range: the dataset has 10 classes (labels 0-9)", e.Message);
    }

    [Fact]
    public void Images_and_labels_of_a_split_must_have_the_same_count()
    {
        var images = IdxReader.ReadImages(WriteFile("images-idx3-ubyte", Idx.Images(3, 2, 2), gzip: true));
        var labels = IdxReader.ReadLabels(WriteFile("labels-idx1-ubyte", Idx.Labels(0, 1), gzip: true), 2);

        var e = Assert.Throws<DataFormatException>(() => new RawImageDataset("x", ["a", "b"], images, labels, images, labels));

        Assert.Equal(labels.FilePath, e.FilePath);
        Assert.Equal($"{labels.FilePath}: 2 labels but {images.FilePath} has 3 images: the train split needs exactly one label per image", e.Message);
    }

    [Fact]
    public void Train_and_test_images_must_have_the_same_size()
    {
        var train = IdxReader.ReadImages(WriteFile("train-idx3-ubyte", Idx.Images(2, 2, 2), gzip: true));
        var test = IdxReader.ReadImages(WriteFile("test-idx3-ubyte", Idx.Images(2, 3, 2), gzip: true));
        var labels = IdxReader.ReadLabels(WriteFile("labels-idx1-ubyte", Idx.Labels(0, 1), gzip: true), 2);

        var e = Assert.Throws<DataFormatException>(() => new RawImageDataset("x", ["a", "b"], train, labels, test, labels));

        Assert.Equal($"{test.FilePath}: images of 3x2 but {train.FilePath} has images of 2x2: train and test images must have the same size", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Corrupt_gzip_data_is_a_clear_error(double where)
    {
        var compressed = Idx.Gzip(Idx.Images(50, 10, 10));
        int start = 12 + (int)((compressed.Length - 60) * where);
        for (int i = start; i < start + 40; i++)
        {
            compressed[i] ^= 0x5A;
        }

        string path = Idx.Write(_temp.Combine("images-idx3-ubyte.gz"), compressed);

        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: corrupt gzip data: decompression failed after ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("the file is damaged", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_gzip_checksum_is_corrupt_gzip_data()
    {
        var compressed = Idx.Gzip(Idx.Labels(1, 2, 3));
        compressed[^6] ^= 0xFF; // inside the CRC-32 of the trailer

        string path = Idx.Write(_temp.Combine("labels-idx1-ubyte.gz"), compressed);

        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(path, 10));

        Assert.Contains("corrupt gzip data", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_cannot_be_opened()
    {
        string path = _temp.Combine("nothing-here.gz");

        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: cannot open: ", e.Message, StringComparison.Ordinal);
    }
}
