using System.Text;

namespace Experiments.Generators.Parsing;

/// <summary>Turns experiment names (file names) into C# identifiers.</summary>
internal static class Naming
{
    /// <summary>
    /// PascalCase from the letters and digits of <paramref name="name"/>; every other character separates words
    /// (<c>seed-recipe</c> → <c>SeedRecipe</c>). Generated type names always add a suffix (Model, Experiment,
    /// Hyperparameters), so the prefix can never be a C# keyword. Returns null when nothing usable remains.
    /// </summary>
    public static string? ToTypePrefix(string name)
    {
        var builder = new StringBuilder(name.Length);
        var startOfWord = true;
        foreach (var c in name)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9'))
            {
                builder.Append(startOfWord ? char.ToUpperInvariant(c) : c);
                startOfWord = false;
            }
            else
            {
                startOfWord = true;
            }
        }

        if (builder.Length == 0)
        {
            return null;
        }

        if (builder[0] is >= '0' and <= '9')
        {
            builder.Insert(0, "Experiment");
        }

        return builder.ToString();
    }
}
