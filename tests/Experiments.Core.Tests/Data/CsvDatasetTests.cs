using System.Text;
using Experiments.Data;

namespace Experiments.Core.Tests.Data;

public sealed class CsvDatasetTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly LogLines _log = new();

    public void Dispose() => _temp.Dispose();

    private DatasetStore Store(DatasetDescription description) => new(new DatasetStoreOptions
    {
        DataRoot = _temp.Combine("data"),
        SystemSearchDirectories = [],
        Datasets = [description],
        VerificationCachePath = null,
        DecodedCacheDirectory = _temp.Combine("cache"),
        Log = _log.Sink,
    });

    [Fact]
    public void Header_lines_a_named_label_column_a_separator_and_gzip()
    {
        var d = Fixtures.Csv("iris", 3, ["setosa", "virginica"], train: "train.csv.gz", test: "test.csv", options: new CsvOptions { HeaderLines = 2, LabelColumnName = "species", Separator = ';' });
        Fixtures.Text(_temp.Combine("data", "iris", "train.csv.gz"), "a;species;b;c\nunits;-;cm;cm\n1.5;virginica;-2;3e1\n\"4\";setosa;5.25;6\n", gzip: true);
        Fixtures.Text(_temp.Combine("data", "iris", "test.csv"), "a;species;b;c\nskip;me;too;x\n7;setosa;8;9\n");
        using var store = Store(d);

        var data = store.Load("iris");

        Assert.Equal(TorchSharp.torch.ScalarType.Float32, data.Train.Inputs.dtype);
        Assert.Equal([2, 3], data.Train.Inputs.shape);
        Assert.Equal([1.5f, -2, 30, 4, 5.25f, 6], Fixtures.Floats(data.Train.Inputs));
        Assert.Equal([1L, 0], Fixtures.Longs(data.Train.Labels));
        Assert.Equal([7f, 8, 9], Fixtures.Floats(data.Test.Inputs));
        Assert.Equal(1, _log.Count("iris: 2 train and 1 test rows of 3 features decoded in"));
    }

    [Fact]
    public void An_absolute_root_is_read_where_it_is_not_under_the_data_root()
    {
        string elsewhere = _temp.Combine("elsewhere", "tables");
        var d = Fixtures.Csv("abs", 2, ["x", "y"], test: "test.csv") with { Root = elsewhere };
        Fixtures.Text(Path.Combine(elsewhere, "data.csv"), "1,2,x\n3,4,y\n");
        Fixtures.Text(Path.Combine(elsewhere, "test.csv"), "5,6,y\n");
        using var store = Store(d);

        var data = store.Load("abs");

        Assert.Equal([1f, 2, 3, 4], Fixtures.Floats(data.Train.Inputs));
        Assert.Equal([5f, 6], Fixtures.Floats(data.Test.Inputs));
        Assert.False(Directory.Exists(_temp.Combine("data", "abs")));
    }

    [Fact]
    public void The_label_column_by_index_and_numbers_in_the_invariant_culture()
    {
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            var d = Fixtures.Csv("indexed", 2, ["x", "y"], test: "test.csv", options: new CsvOptions { LabelColumn = 0 });
            Fixtures.Text(_temp.Combine("data", "indexed", "data.csv"), "y,0.5,1000\nx,2,3\n");
            Fixtures.Text(_temp.Combine("data", "indexed", "test.csv"), "x,1,1\n");
            using var store = Store(d);

            var data = store.Load("indexed");

            Assert.Equal([0.5f, 1000, 2, 3], Fixtures.Floats(data.Train.Inputs));
            Assert.Equal([1L, 0], Fixtures.Longs(data.Train.Labels));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "h1,h2,label\n1,2,a\n3,4\n", "line 3: 2 columns, but 3 are expected (2 features, as the shape [2] says, and the label)", "width" },
        { "h1,h2,label\n1,2,a\n3,4,b,5\n", "line 3: 4 columns, but 3 are expected", "wider" },
        { "h1,h2,label\n1,2,a\n3,\"x y\",b\n", "line 3, column 2: the cell 'x y' is not a number", "number" },
        { "h1,h2,label\n1,NaN,a\n", "line 2, column 2: the cell 'NaN' is not a number", "nan" },
        { "h1,h2,label\n1,2,a\n\n3,4,c\n", "line 3: 1 columns, but 3 are expected", "blank line" },
        { "h1,h2,label\n1,2,a\n3,4,A\n", "line 3, column 3: the label 'A' is not one of the 2 classes ('a', 'b'); labels are matched to the class names as text, exactly", "label" },
        { "", "an empty file: no rows", "empty" },
        { "h1,h2,label\n", "no data rows: the file has only its 1 header line", "header only" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_rows_are_errors_naming_the_file_line_and_column(string content, string problem, string what)
    {
        var d = Fixtures.Csv("bad", 2, ["a", "b"], test: "test.csv", options: new CsvOptions { HeaderLines = 1 });
        string path = Fixtures.Text(_temp.Combine("data", "bad", "data.csv"), content);
        Fixtures.Text(_temp.Combine("data", "bad", "test.csv"), "h1,h2,label\n1,1,a\n");
        using var store = Store(d);

        var e = Assert.Throws<DataFormatException>(() => store.Load("bad"));

        Assert.True(e.Message.StartsWith($"{path}: {problem}", StringComparison.Ordinal), $"{what}: {e.Message}");
        Assert.Equal(path, e.FilePath);
        Assert.False(Directory.Exists(_temp.Combine("cache")) && Directory.EnumerateFiles(_temp.Combine("cache")).Any(), "nothing is cached from a failed load");
    }

    [Fact]
    public void A_label_column_name_missing_from_the_header_is_an_error()
    {
        var d = Fixtures.Csv("named", 2, ["a"], test: "test.csv", options: new CsvOptions { HeaderLines = 1, LabelColumnName = "class" });
        string path = Fixtures.Text(_temp.Combine("data", "named", "data.csv"), "x,y,label\n1,2,a\n");
        Fixtures.Text(_temp.Combine("data", "named", "test.csv"), "x,y,label\n1,2,a\n");
        using var store = Store(d);

        var e = Assert.Throws<DataFormatException>(() => store.Load("named"));

        Assert.Equal($"{path}: line 1: no column of the header is named 'class' (the label column's name); the header starts 'x', 'y', 'label'", e.Message);
    }

    [Fact]
    public void The_checksum_of_a_gzip_csv_is_of_its_decompressed_content()
    {
        string content = "1,a\n2,a\n3,a\n4,a\n";
        var d = Fixtures.Csv("sum", 1, ["a"], train: "d.csv.gz");
        string path = Fixtures.Text(_temp.Combine("data", "sum", "d.csv.gz"), content, gzip: true);
        string expected = Idx.Sha256(Encoding.UTF8.GetBytes(content));
        using (var right = Store(d with { Sha256 = new Dictionary<string, string> { ["d.csv.gz"] = expected } }))
        {
            Assert.Equal(4, right.Load("sum").Train.Count + right.Load("sum").Test.Count);
        }

        using var wrong = Store(d with { Sha256 = new Dictionary<string, string> { ["d.csv.gz"] = new string('a', 64) } });
        var e = Assert.Throws<DataChecksumException>(() => wrong.Load("sum"));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(expected, e.ActualSha256);
    }

    [Fact]
    public void A_missing_csv_file_is_not_found()
    {
        var d = Fixtures.Csv("none", 1, ["a"]);
        using var store = Store(d);

        var e = Assert.Throws<DatasetNotFoundException>(() => store.Load("none"));

        Assert.StartsWith("Dataset 'none' was not found: its CSV file is missing:", e.Message, StringComparison.Ordinal);
        Assert.Contains("  data.csv (CSV file)", e.Message, StringComparison.Ordinal);
        Assert.Contains("has no download", e.Message, StringComparison.Ordinal);
    }
}
