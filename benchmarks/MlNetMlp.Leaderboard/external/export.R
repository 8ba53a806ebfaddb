# Writes real data sets this repository does not hold, from Debian's R packages, for the leaderboard's
# --external check (issue 13: the recipe was tuned on the shared data sets only; these check it elsewhere).
#
#   apt-get install r-cran-mlbench r-cran-modeldata
#   Rscript benchmarks/MlNetMlp.Leaderboard/external/export.R /tmp/external
#   dotnet run -c Release --project benchmarks/MlNetMlp.Leaderboard -- --external /tmp/external
#
# Each set becomes <name>.csv (header; numbers, text in quotes, NA as an empty field) and one line of
# datasets.tsv: name, task (binary | multiclass | regression), label column, source, and the column kinds
# (n = number, c = category) in file order. A binary label is written as 1 (the first level named below) or 0.
suppressMessages({ library(mlbench); library(modeldata) })
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) > 0) args[1] else "external"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
manifest <- character()

put <- function(name, d, task, label, positive = NULL, source) {
  d <- as.data.frame(d)
  for (col in names(d)) {
    if (is.logical(d[[col]])) d[[col]] <- as.character(d[[col]])
    if (is.ordered(d[[col]]) && col != label) d[[col]] <- as.integer(d[[col]])  # ordered levels keep their order
    if (is.factor(d[[col]])) d[[col]] <- as.character(d[[col]])
  }
  if (task == "binary") d[[label]] <- ifelse(d[[label]] == positive, 1, 0)
  if (task == "multiclass") d[[label]] <- as.character(d[[label]])
  d <- d[!is.na(d[[label]]), , drop = FALSE]
  # drop columns that carry nothing (constant)
  keep <- vapply(names(d), function(col) col == label || length(unique(d[[col]])) > 1, logical(1))
  d <- d[, keep, drop = FALSE]
  names(d) <- make.names(names(d))
  label <- make.names(label)
  kinds <- vapply(names(d), function(col) if (is.numeric(d[[col]]) && !(task == "multiclass" && col == label)) "n" else "c", character(1))
  write.csv(d, file.path(out, paste0(name, ".csv")), row.names = FALSE, na = "")
  manifest <<- c(manifest, paste(name, task, label, source, paste(kinds, collapse = ""), sep = "\t"))
}

data(PimaIndiansDiabetes); put("pima", PimaIndiansDiabetes, "binary", "diabetes", "pos", "mlbench PimaIndiansDiabetes (UCI)")
data(Sonar); put("sonar", Sonar, "binary", "Class", "M", "mlbench Sonar (UCI)")
data(Ionosphere); put("ionosphere", Ionosphere, "binary", "Class", "good", "mlbench Ionosphere (UCI)")
data(credit_data); put("credit", credit_data, "binary", "Status", "bad", "modeldata credit_data")
data(mlc_churn); put("churn", mlc_churn, "binary", "churn", "yes", "modeldata mlc_churn")
data(attrition); put("attrition", attrition, "binary", "Attrition", "Yes", "modeldata attrition (IBM HR)")
data(Glass); put("glass", Glass, "multiclass", "Type", NULL, "mlbench Glass (UCI)")
data(Vehicle); put("vehicle", Vehicle, "multiclass", "Class", NULL, "mlbench Vehicle (UCI)")
data(Satellite); put("satellite", Satellite, "multiclass", "classes", NULL, "mlbench Satellite (UCI Statlog)")
data(penguins); put("penguins", penguins, "multiclass", "species", NULL, "modeldata penguins (Palmer)")
data(Vowel); put("vowel", Vowel, "multiclass", "Class", NULL, "mlbench Vowel (UCI)")
data(hpc_data); put("hpc", hpc_data, "multiclass", "class", NULL, "modeldata hpc_data")
data(concrete); put("concrete", concrete, "regression", "compressive_strength", NULL, "modeldata concrete (UCI)")
data(Sacramento); put("sacramento", Sacramento[, setdiff(names(Sacramento), "zip")], "regression", "price", NULL, "modeldata Sacramento")
data(Servo); put("servo", Servo, "regression", "Class", NULL, "mlbench Servo (UCI)")
data(biomass); put("biomass", biomass[, setdiff(names(biomass), c("sample", "dataset"))], "regression", "HHV", NULL, "modeldata biomass")
data(ames); put("ames", ames, "regression", "Sale_Price", NULL, "modeldata ames (De Cock)")
data(Ozone); put("ozone", Ozone, "regression", "V4", NULL, "mlbench Ozone (LA ozone)")
writeLines(manifest, file.path(out, "datasets.tsv"))
cat(length(manifest), "data sets written to", out, "\n")
